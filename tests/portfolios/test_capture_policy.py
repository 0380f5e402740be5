"""The evidence form may use the camera and microphone of this origin only."""

import pytest
from django.urls import reverse


@pytest.fixture
def alice(client, learner):
    client.force_login(learner)
    return client


def test_camera_and_microphone_allowed_for_this_origin_only(alice, enrolment):
    response = alice.get(reverse("evidence_create", args=[enrolment.pk]))
    assert response.status_code == 200
    policy = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    assert policy["camera"] == "(self)"
    assert policy["microphone"] == "(self)"
    assert policy["geolocation"] == "()"
    assert policy["display-capture"] == "()"


def test_capture_controls_and_fallback_are_on_the_form(alice, enrolment):
    html = alice.get(reverse("evidence_create", args=[enrolment.pk])).content.decode()
    assert (
        'data-resumable-url="{}"'.format(reverse("resumable_upload_create", args=[enrolment.pk]))
        in html
    )
    # The buttons start hidden: the script shows them only where MediaRecorder exists.
    assert '<div class="capture d-none mb-2" data-capture>' in html
    assert 'accept="image/*,audio/*,video/*" capture' in html
