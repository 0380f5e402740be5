"""Every link on every demo dashboard opens for the person it is shown to.

The demo (`seed_demo`) is what a newcomer meets first: for each demo role, sign in, open the
dashboard, follow every same-site link on it (GET), and expect 200, or a redirect to a page
that answers 200. The demo must also show every state: items waiting in the tutor's queue, a
draft, a not yet met with feedback, a referral, a signed unit and one waiting to be sampled.
"""

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from moderation.enums import SampleOutcome
from moderation.models import SampleDecision
from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision, Enrolment, Evidence, UnitSignOff
from tests.catalogue import load_seed_catalogue

ROLES = ["learner", "tutor", "iqa", "eqa", "centreadmin"]
HREF = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    load_seed_catalogue()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 (closed at exit)


def _links(html: str) -> list[str]:
    """Same-site links of a page, each once, in page order (fragments and other sites out)."""
    seen = []
    for href in HREF.findall(html):
        href = unescape(href)
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path or href.startswith("#"):
            continue
        if href not in seen:
            seen.append(href)
    return seen


def _follow(client, url):
    """The answer at the end of up to five same-site redirects."""
    response = client.get(url)
    for _ in range(5):
        if response.status_code not in (301, 302, 303, 307, 308):
            break
        response = client.get(response["Location"])
    return response


def test_the_demo_shows_every_state(demo):
    learner = User.objects.get(username="learner")
    enrolment = Enrolment.objects.get(learner=learner)
    evidence = Evidence.objects.filter(enrolment=enrolment)
    assert evidence.drafts().exists()
    assert evidence.awaiting_assessment().count() == 2  # the tutor's queue
    not_met = CriterionDecision.objects.filter(enrolment=enrolment).latest()
    assert not_met.filter(outcome=DecisionOutcome.NOT_YET_MET).exclude(feedback="").exists()
    referral = SampleDecision.objects.latest().filter(
        sample__enrolment=enrolment, outcome=SampleOutcome.REFERRED
    )
    assert referral.exists()
    signed = UnitSignOff.objects.filter(enrolment=enrolment).standing()
    assert signed.filter(acknowledgement__isnull=True).exists()  # waiting for the learner
    # A signed unit no internal moderator has sampled yet.
    assert signed.exclude(unit_id__in=referral.values("sample__unit_id")).exists()


@pytest.mark.parametrize("username", ROLES)
def test_every_dashboard_link_opens(client, demo, username):
    client.force_login(User.objects.get(username=username))
    dashboard = _follow(client, reverse("dashboard"))
    assert dashboard.status_code == 200
    links = _links(dashboard.text)
    assert len(links) >= 5, links
    failed = []
    for url in links:
        response = _follow(client, url)
        if response.status_code != 200:
            failed.append((url, response.status_code))
    print(f"{username}: {len(links)} links, failed: {failed}")
    assert failed == []
    if username == "centreadmin":
        # The report's sampling plans, read-only for the admin (it once answered 403).
        assert any(re.fullmatch(r"/moderation/plans/\d+/", url) for url in links), links
