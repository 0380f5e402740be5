"""Schemathesis generates requests for every operation of /api/schema/ and checks each answer:
no server error, a status code the document names, its content type, and a body that fits the
schema it documents. The app runs in-process (WSGI) on alice's portfolio, with a read and
write token of her tutor, so writes (decisions, evidence) are tried as well as reads."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.enums import TokenScope
from portal.wsgi import application
from tests.api.conftest import make_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def bearer(tutor):
    return {"Authorization": f"Bearer {make_token(tutor, TokenScope.WRITE)}"}


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI handler closes the database connection after each request, which would end
    the test's transaction on PostgreSQL; Django's own test client holds it open the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.API_RATE_TOKEN = "100000/min"


# The document is read at collection (it needs no database); the data is made per test.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case, bearer, record, zeb_enrolment, second_tutor):
    case.call_and_validate(headers=bearer, checks=CHECKS)
