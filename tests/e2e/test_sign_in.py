import re

import pytest
from playwright.sync_api import expect

from accounts.enums import Role

pytestmark = pytest.mark.django_db(transaction=True)

TITLES = {
    Role.LEARNER: "My portfolio",
    Role.TUTOR: "Tutor dashboard",
    Role.INTERNAL_MODERATOR: "Internal moderation",
    Role.EXTERNAL_MODERATOR: "External moderation",
    Role.CENTRE_ADMIN: "Centre administration",
}


def test_each_role_signs_in_to_its_dashboard(page, sign_in, people, password):
    for role, user in people.items():
        sign_in(user.username, password)
        expect(page.get_by_test_id("dashboard-title")).to_have_text(TITLES[role])
        expect(page.get_by_text("Alpha College · centre A0001")).to_be_visible()
        page.context.clear_cookies()


def test_wrong_password_is_refused(page, sign_in, learner):
    sign_in("alice", "not-her-password")
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_phone_sized_screen_has_working_menu(page, sign_in, centre_admin, password):
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in("carol", password)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Centre administration")
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="People", exact=True).click()
    expect(page.get_by_role("heading", name="Alpha College")).to_be_visible()


def test_no_content_security_policy_violations(page, sign_in, learner, password):
    violations = []
    page.on("console", lambda msg: violations.append(msg.text))
    sign_in("alice", password)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("My portfolio")
    assert [v for v in violations if "Content Security Policy" in v] == []
