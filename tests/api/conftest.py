"""Tokens for the people of tests/conftest.py, and alice's portfolio (tests/moderation's
small qualification: unit A's criteria met and signed off by bob, an item submitted, a draft),
dora's (tutor tess) at the same centre, and zeb's at centre B, whose names must never show."""

import datetime

import pytest
from django.test import Client

from accounts.enums import Role, TokenScope
from accounts.tokens import token_create
from tests.factories import MembershipFactory, UserFactory
from tests.moderation.conftest import (  # noqa: F401 (fixtures used by name)
    add_evidence,
    catalogue,
    criteria,
    decide,
    dora_enrolment,
    enrol,
    enrolment,
    evidence,
    mail,
    media_root,
    second_tutor,
    sign,
)

# Zeb, the learner at centre B: his surname must not reach anyone at centre A.
OTHER_CENTRE_NAME = "Quartermaine"


@pytest.fixture(autouse=True)
def api_cache(settings):
    """A cache of this test's own, so no rate limit counts another test's requests."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


def make_token(user, scope=TokenScope.READ, days=30) -> str:
    return token_create(
        user=user, name=f"{user.username}-sync", scope=scope, days=days, session_verified=True
    )[1]


class Api:
    """The test client, sending a token as `Authorization: Bearer`."""

    def __init__(self, token: str | None):
        self.client = Client(raise_request_exception=False)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, **params):
        return self.client.get(f"/api{path}", params, headers=self.headers)

    def post(self, path, data=None, **kwargs):
        if kwargs.get("content_type") is None and not isinstance(data, dict | None):
            raise TypeError("data must be a dict")
        return self.client.post(f"/api{path}", data or {}, headers=self.headers, **kwargs)

    def post_json(self, path, data):
        return self.client.post(
            f"/api{path}", data, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api():
    """`api(user, scope)` → a client with a new token of that person."""

    def make(user=None, scope=TokenScope.READ):
        return Api(make_token(user, scope) if user is not None else None)

    return make


@pytest.fixture
def draft(enrolment, learner, catalogue):
    return add_evidence(
        enrolment,
        learner,
        criteria_list=criteria(catalogue.unit_b)[1:],
        title="Unsubmitted musings",
        submit=False,
    )


@pytest.fixture
def record(enrolment, evidence, tutor, catalogue, draft):
    """Alice's record: unit A met and signed off on her submitted item; a draft."""
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    sign(enrolment, catalogue.unit_a, tutor)
    return enrolment


@pytest.fixture
def zeb_enrolment(catalogue, other_centre, outsider):
    zeb = UserFactory(username="zeb", first_name="Zebedee", last_name=OTHER_CENTRE_NAME)
    MembershipFactory(user=zeb, centre=other_centre, role=Role.LEARNER)
    enrolment = enrol(catalogue, centre=other_centre, learner=zeb, tutor=outsider, by=outsider)
    add_evidence(enrolment, zeb, criteria_list=criteria(catalogue.unit_a), title="Beta secret")
    return enrolment


TODAY = datetime.date.today
