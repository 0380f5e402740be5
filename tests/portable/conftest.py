"""Alice's portfolio at Alpha College, with something of every kind the package carries:
evidence with files (one a draft), mappings, decisions met and not yet met, a signed unit the
learner acknowledged, an agreed summative sample, and a referral that reopened a decision."""

import io
import json
import zipfile
from dataclasses import dataclass

import pytest

from accounts.enums import Role
from moderation import services
from moderation.enums import SampleOutcome
from portable.services import portfolio_export
from portfolios.enums import DecisionOutcome
from tests.factories import MembershipFactory, UserFactory
from tests.moderation.conftest import (
    add_evidence,
    catalogue,  # noqa: F401 (a fixture, used by the fixtures below)
    criteria,
    decide,
    enrol,
    moderate,
    sign,
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@dataclass
class Portfolio:
    enrolment: object
    submitted: object
    draft: object
    sign_off: object


@pytest.fixture
def portfolio(catalogue, centre, learner, tutor, centre_admin, internal_moderator):  # noqa: F811
    enrolment = enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    unit_a, unit_b = criteria(catalogue.unit_a), criteria(catalogue.unit_b)
    submitted = add_evidence(enrolment, learner, criteria_list=[*unit_a, unit_b[0]])
    draft = add_evidence(
        enrolment, learner, criteria_list=[unit_b[1]], title="Unfinished notes", submit=False
    )
    decide(enrolment, tutor, unit_a, evidence=submitted)
    decide(enrolment, tutor, [unit_b[0]], DecisionOutcome.MET, evidence=submitted)
    sign_off = sign(enrolment, catalogue.unit_a, tutor)
    services.sign_off_acknowledge(sign_off=sign_off, by=learner, comment="Thank you.")
    moderate(enrolment, catalogue.unit_a, internal_moderator)
    moderate(
        enrolment,
        catalogue.unit_b,
        internal_moderator,
        SampleOutcome.REFERRED,
        reopen_criteria=[unit_b[0]],
    )
    return Portfolio(enrolment, submitted, draft, sign_off)


@pytest.fixture
def receiving_tutor(other_centre):
    user = UserFactory(username="tina", first_name="Tina", last_name="Receiver")
    MembershipFactory(user=user, centre=other_centre, role=Role.TUTOR)
    return user


@pytest.fixture
def receiving_admin(other_centre):
    user = UserFactory(username="rita", first_name="Rita", last_name="Receiver")
    MembershipFactory(user=user, centre=other_centre, role=Role.CENTRE_ADMIN)
    return user


def package_of(enrolment) -> bytes:
    out = io.BytesIO()
    portfolio_export(enrolment=enrolment, by=None, target=out)
    return out.getvalue()


def parts_of(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def repack(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


def manifest_of(package: bytes) -> dict:
    return json.loads(parts_of(package)["manifest.json"])


__all__ = ["manifest_of", "package_of", "parts_of", "repack"]
