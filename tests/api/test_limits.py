"""Rate limits (429, per token and per address for the schema) and the cost of the lists:
the same number of queries for one row as for thirty."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.enums import Role
from portfolios import services as portfolio_services
from qualifications.models import EvidenceMethod
from tests.api.conftest import add_evidence, criteria, decide, enrol
from tests.factories import MembershipFactory, UserFactory


def test_a_token_over_its_rate_gets_429_and_others_are_not_counted(settings, api, learner, tutor):
    settings.API_RATE_TOKEN = "3/min"
    client, other = api(learner), api(tutor)
    assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    over = client.get("/me")
    assert over.status_code == 429
    assert over.json()["detail"] == "Too many requests; wait and try again."
    assert 0 < int(over["Retry-After"]) <= 60
    assert other.get("/me").status_code == 200


def test_the_schema_is_limited_per_address(settings, db):
    settings.API_RATE_ANONYMOUS = "2/min"
    here, there = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert [here.get("/api/schema/").status_code for _ in range(3)] == [200, 200, 429]
    # A made-up forwarding header does not buy a new allowance.
    spoofed = here.get("/api/schema/", headers={"X-Forwarded-For": "192.0.2.9"})
    assert spoofed.status_code == 429
    assert there.get("/api/schema/").status_code == 200


def _warm(client):
    """The token's first use writes when it was used; the counts below are of later uses."""
    assert client.get("/me").status_code == 200
    return client


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def _learners(catalogue, centre, tutor, admin, start, n):
    made = []
    for i in range(start, start + n):
        person = UserFactory(username=f"learner{i}", first_name="L", last_name=f"Number{i}")
        MembershipFactory(user=person, centre=centre, role=Role.LEARNER)
        made.append(enrol(catalogue, centre=centre, learner=person, tutor=tutor, by=admin))
    return made


def test_enrolment_list_queries_do_not_grow(api, catalogue, centre, tutor, centre_admin):
    client = _warm(api(centre_admin))
    path = f"/centres/{centre.pk}/enrolments"
    first = _learners(catalogue, centre, tutor, centre_admin, 0, 1)
    add_evidence(first[0], first[0].learner, criteria_list=criteria(catalogue.unit_a))
    one = _queries(client, path)
    for enrolment in _learners(catalogue, centre, tutor, centre_admin, 1, 29):
        add_evidence(enrolment, enrolment.learner, criteria_list=criteria(catalogue.unit_a))
    assert client.get(path).json()["count"] == 30
    assert _queries(client, path) == one == 12


def _item(enrolment, i):
    return portfolio_services.evidence_create(
        enrolment=enrolment,
        by=enrolment.learner,
        title=f"Item {i}",
        method=EvidenceMethod.objects.get_or_create(
            slug="reflective-account", defaults={"name": "Reflective account"}
        )[0],
        date=datetime.date(2026, 2, 1),
        text="Written account.",
        criteria=criteria(enrolment.qualification.units.order_by("pk")[0])[:1],
    )


def test_evidence_list_queries_do_not_grow(api, enrolment, learner):
    client = _warm(api(learner))
    path = f"/enrolments/{enrolment.pk}/evidence"
    _item(enrolment, 0)
    one = _queries(client, path)
    for i in range(1, 30):
        _item(enrolment, i)
    assert client.get(path).json()["count"] == 30
    assert _queries(client, path) == one == 6


def test_decision_list_queries_do_not_grow(api, enrolment, learner, tutor, catalogue, evidence):
    client = _warm(api(learner))
    path = f"/enrolments/{enrolment.pk}/decisions"
    decide(enrolment, tutor, criteria(catalogue.unit_a)[:1], evidence=evidence)
    one = _queries(client, path)
    for _ in range(10):
        decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    assert client.get(path).json()["count"] == 41
    assert _queries(client, path) == one == 7


@pytest.mark.parametrize("n", [1, 30])
def test_qualification_list_queries_do_not_grow(api, learner, catalogue, n):
    for i in range(1, n):
        catalogue.qualification.pk = None
        catalogue.qualification.number = f"600/{i:04d}/9"
        catalogue.qualification.save()
    client = api(learner)
    assert client.get("/catalogue/qualifications").json()["count"] == n
    assert _queries(client, "/catalogue/qualifications") == 5
