"""An evidence post declaring more than the limit is refused before its body is read."""

import pytest
from django.urls import reverse

from portfolios.models import Evidence
from tests.portfolios.helpers import add_url, evidence_data, minimal_pdf, upload


class UnreadableBody:
    """A request body that notes, and fails, any read."""

    def __init__(self):
        self.read_at_all = False

    def read(self, *args):
        self.read_at_all = True
        raise AssertionError("the body was read")

    readline = read


@pytest.fixture
def alice(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def small_limits(settings):
    settings.EVIDENCE_MAX_FILE_MB = 2
    settings.EVIDENCE_MAX_FILES_PER_POST = 3
    # 3 files of 2 MB, plus 1 MB for the form itself.
    return 7 * 1024 * 1024


def _post_declaring(client, url, length, body=None):
    return client.generic(
        "POST",
        url,
        b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": body or UnreadableBody()},
    )


def test_declared_length_over_the_limit_is_refused_unread(alice, enrolment, small_limits):
    body = UnreadableBody()
    response = _post_declaring(alice, add_url(enrolment), 50 * 1024 * 1024, body)
    assert body.read_at_all is False
    assert response.status_code == 413
    assert not response.has_header("Connection")  # hop-by-hop: the server's, not ours
    text = response.content.decode()
    assert "The upload declared 50 MB; at most 3 files of 2 MB each can be sent at once" in text
    assert "Nothing was saved." in text
    assert Evidence.objects.count() == 0


def test_edit_form_is_refused_unread_too(alice, evidence, small_limits):
    url = reverse("evidence_update", args=[evidence.pk])
    response = _post_declaring(alice, url, small_limits + 1)
    assert response.status_code == 413


def test_refused_before_sign_in_is_checked(client, enrolment, small_limits):
    # Even an anonymous post is not read: nothing about the learner is in the answer.
    response = _post_declaring(client, add_url(enrolment), small_limits + 1)
    assert response.status_code == 413
    assert "Handling" not in response.content.decode()


def test_length_at_the_limit_goes_on_to_the_form(alice, enrolment, small_limits):
    # Exactly the limit passes this check; the damaged body is then refused by the form's parser.
    response = _post_declaring(alice, add_url(enrolment), small_limits)
    assert response.status_code == 400


def test_other_urls_are_not_checked(alice, small_limits):
    response = alice.generic(
        "POST", reverse("dashboard"), b"", CONTENT_LENGTH=str(small_limits * 10)
    )
    assert response.status_code != 413


def test_ordinary_upload_is_not_refused(alice, enrolment, method, small_limits):
    response = alice.post(
        add_url(enrolment), evidence_data(method, files=[upload("a.pdf", minimal_pdf())])
    )
    assert response.status_code == 302
    assert Evidence.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_server_answers_413_before_the_body_is_sent(
    live_server, learner, enrolment, small_limits
):
    """Through the development server (what `bin/run` runs): the headers alone are sent and the
    refusal comes back at once, as a page, not a server error."""
    import http.client
    from urllib.parse import urlsplit

    from django.test import Client

    signed_in = Client()
    signed_in.force_login(learner)
    cookie = signed_in.cookies["sessionid"].value
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.putrequest("POST", add_url(enrolment))
        connection.putheader("Content-Type", "multipart/form-data; boundary=xyz")
        connection.putheader("Content-Length", str(50 * 1024 * 1024))
        connection.putheader("Cookie", f"sessionid={cookie}")
        connection.endheaders()  # and no body at all
        response = connection.getresponse()
        assert response.status == 413
        assert b"The upload declared 50 MB" in response.read()
    finally:
        connection.close()
