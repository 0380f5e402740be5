import datetime
from dataclasses import dataclass

import pytest

from accounts.enums import Role
from portfolios import services
from qualifications.enums import STANDARD_EVIDENCE_METHODS
from qualifications.models import (
    AwardingBody,
    EvidenceMethod,
    Qualification,
    QualificationUnit,
    UnitGroup,
)
from tests.factories import MembershipFactory
from tests.portfolios.helpers import make_unit, minimal_pdf, upload


@pytest.fixture(autouse=True)
def evidence_methods(db):
    """The standard methods a data migration adds; browser tests elsewhere flush the tables."""
    for position, (slug, name) in enumerate(STANDARD_EVIDENCE_METHODS):
        EvidenceMethod.objects.get_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test stores files in its own empty folder, never in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = None
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list:
    return sorted(p for p in media_root.rglob("*") if p.is_file())


@dataclass
class Catalogue:
    qualification: Qualification
    mandatory: list
    optional: list
    short_course: object


@pytest.fixture
def catalogue(db):
    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    qualification = Qualification.objects.create(
        number="600/0001/1", title="Level 2 Diploma in Testing", awarding_body=body, level=2
    )
    mandatory_group = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True, position=0
    )
    optional_group = UnitGroup.objects.create(
        qualification=qualification, name="Optional units", min_units=1, position=1
    )
    mandatory = [
        make_unit("A/100/0001", "Deliver customer service"),
        make_unit("A/100/0002", "Communicate with customers"),
    ]
    optional = [make_unit("B/100/0003", "Manage diary systems", outcomes=1, criteria=2)]
    position = 0
    for group, units in ((mandatory_group, mandatory), (optional_group, optional)):
        for unit in units:
            QualificationUnit.objects.create(
                qualification=qualification, unit=unit, group=group, position=position
            )
            position += 1
    short_course = make_unit("J/100/0009", "Customer service operations", outcomes=1)
    return Catalogue(qualification, mandatory, optional, short_course)


def enrol(catalogue, *, centre, learner, tutor, by, units=None):
    return services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=catalogue.qualification,
        units=units if units is not None else catalogue.mandatory + catalogue.optional,
        registration_number="REG123",
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=by,
    )


@pytest.fixture
def enrolment(catalogue, centre, learner, tutor, centre_admin):
    return enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)


@pytest.fixture
def method(db):
    return EvidenceMethod.objects.get(slug="reflective-account")


@pytest.fixture
def observation(db):
    return EvidenceMethod.objects.get(slug="observation")


def criteria_of(unit):
    return list(unit.criteria.order_by("sort_key"))


@pytest.fixture
def evidence(enrolment, learner, method):
    """A draft of alice's with one PDF, mapped to a criterion in each of two units."""
    return services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Complaint log",
        method=method,
        date=datetime.date(2026, 2, 1),
        text="I dealt with a complaint.",
        files=[upload("complaint.pdf", minimal_pdf("Complaint"))],
        criteria=[
            criteria_of(enrolment.units.get(code="A/100/0001"))[0],
            criteria_of(enrolment.units.get(code="A/100/0002"))[0],
        ],
    )


@pytest.fixture
def other_enrolment(catalogue, other_centre, outsider):
    """Charlie's own portfolio at centre B, with a file that must never leak to centre A."""
    enrolment = enrol(catalogue, centre=other_centre, learner=outsider, tutor=outsider, by=outsider)
    services.evidence_create(
        enrolment=enrolment,
        by=outsider,
        title="Charlie's secret reflection",
        method=EvidenceMethod.objects.get(slug="reflective-account"),
        date=datetime.date(2026, 2, 2),
        files=[upload("charlie-private.pdf", minimal_pdf("Charlie"))],
        criteria=[criteria_of(catalogue.mandatory[0])[0]],
    )
    return enrolment


@pytest.fixture
def second_learner(centre):
    from tests.factories import UserFactory

    user = UserFactory(username="dora", first_name="Dora", last_name="Second")
    MembershipFactory(user=user, centre=centre, role=Role.LEARNER)
    return user


@pytest.fixture
def second_tutor(centre):
    from tests.factories import UserFactory

    user = UserFactory(username="tess", first_name="Tess", last_name="Tutor")
    MembershipFactory(user=user, centre=centre, role=Role.TUTOR)
    return user
