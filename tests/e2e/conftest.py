"""Browser journeys in Debian's Chromium (Playwright's own browser download does not work here)."""

import os
import shutil

import pytest

from qualifications.models import AwardingBody, Qualification, QualificationUnit, UnitGroup
from tests.e2e.axe import AxeWatch
from tests.moderation.conftest import Catalogue
from tests.portfolios.helpers import make_unit

# Playwright runs an event loop in the test thread; Django's ORM calls from fixtures are still
# synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium is needed at {CHROMIUM}: run bin/test, which installs it.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A common laptop screen; the phone journeys set 390 px themselves.
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def page(page, live_server, monkeypatch):
    """Every journey's page, checked with axe-core on every page visited (`tests/e2e/axe.py`);
    the test fails at its end on any serious or critical violation."""
    watch = AxeWatch(page, live_server.url)
    watch.start(monkeypatch)
    yield page
    if not page.is_closed():
        watch.check()
    monkeypatch.undo()
    if watch.violations:
        pytest.fail(watch.report(), pytrace=False)


@pytest.fixture
def sign_in(page, live_server):
    def _sign_in(username, password):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    return _sign_in


@pytest.fixture
def catalogue(db):
    """A two-unit qualification, as tests/moderation builds it."""
    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    qualification = Qualification.objects.create(
        number="600/0001/1", title="Level 2 Diploma in Testing", awarding_body=body, level=2
    )
    group = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True
    )
    unit_a = make_unit("A/100/0001", "Deliver customer service", outcomes=2, criteria=2)
    unit_b = make_unit("A/100/0002", "Communicate with customers", outcomes=1, criteria=2)
    for position, unit in enumerate([unit_a, unit_b]):
        QualificationUnit.objects.create(
            qualification=qualification, unit=unit, group=group, position=position
        )
    return Catalogue(qualification, unit_a, unit_b)
