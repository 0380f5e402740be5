"""A tutor whose centre requires a second factor sets up an app (the test is the app, computing
codes from the key shown), signs in with a code, then with a recovery code once."""

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from accounts import twofactor

pytestmark = pytest.mark.django_db(transaction=True)


def app_code(secret: str, steps_ahead: int = 0) -> str:
    totp = TOTP(base64.b32decode(secret.replace(" ", "")), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def sign_out(page, tutor):
    page.get_by_role("button", name=str(tutor)).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_enrol_sign_in_with_a_code_then_a_recovery_code_once(
    page, sign_in, live_server, centre, centre_admin, tutor, password
):
    twofactor.centre_two_factor_set(centre=centre, required=True, by=centre_admin)
    violations = []
    page.on("console", lambda msg: violations.append(msg.text))

    # The centre requires it: after the password, the only way on is setting up an app.
    sign_in(tutor.username, password)
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.get_by_text("Your centre requires a second factor")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.get_by_test_id("qr-code").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("secret").inner_text()
    page.get_by_label("Code from your app").fill(app_code(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them: carry on").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Tutor dashboard")
    sign_out(page, tutor)

    # Password, then the app's code (the next step's: the one used to enrol is spent).
    sign_in(tutor.username, password)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(app_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Tutor dashboard")
    sign_out(page, tutor)

    # A recovery code signs in once.
    sign_in(tutor.username, password)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Tutor dashboard")
    sign_out(page, tutor)

    # Not twice.
    sign_in(tutor.username, password)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(twofactor.WRONG_CODE)).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert [v for v in violations if "Content Security Policy" in v] == []
