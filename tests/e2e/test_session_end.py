"""A fragment asked for after the session has ended is not swapped into the page: the sign-in
page it comes back as would put a form, and its contrast failures, inside the navigation."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_signed_out_fragment_is_not_swapped_in(page, sign_in, learner, password):
    sign_in("alice", password)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("My portfolio")
    badge = reverse("moderation:notification_badge")
    target = page.locator(f"[hx-get='{badge}']")
    page.wait_for_load_state("networkidle")  # the badge's own first fetch has landed
    before = target.inner_html()
    page.context.clear_cookies()
    swapped = page.evaluate(
        """([url, selector]) => new Promise((done) => {
            document.addEventListener("htmx:afterRequest", () => done(true), {once: true});
            htmx.ajax("GET", url, {target: selector});
        })""",
        [badge, f"[hx-get='{badge}']"],
    )
    assert swapped
    assert target.inner_html() == before
    assert "Sign in" not in target.inner_html()
    expect(page.locator("nav form input[name=username]")).to_have_count(0)
