"""A stored video answers HTTP Range requests, from local disk and from the S3 store, after the
same access check as a whole download: a long video can be sought."""

import os

import pytest
from django.urls import reverse

from portfolios.downloads import requested_range
from tests.portfolios.helpers import upload
from tests.storage.test_s3 import _sign_in, _uploaded

pytestmark = pytest.mark.django_db

SIZE = 300_000


def _video() -> bytes:
    """An MP4 file's opening (what the upload check reads) and then the "frames"."""
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08free"
    return head + os.urandom(SIZE - len(head))


@pytest.fixture(params=["local", "s3"])
def store(request, settings, tmp_path):
    if request.param == "s3":
        return request.getfixturevalue("s3")
    settings.MEDIA_ROOT = tmp_path / "media"
    return None


@pytest.fixture
def video(store, client, learner, enrolment, method):
    data = _video()
    evidence = _uploaded(client, learner, enrolment, method, [upload("shift.mp4", data)])
    stored = evidence.files.get()
    assert stored.content_type == "video/mp4"
    return stored, data


def _get(client, user, stored, *, preview=True, **headers):
    name = "evidence_file_preview" if preview else "evidence_file_download"
    return _sign_in(client, user).get(reverse(name, args=[stored.pk]), headers=headers)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_range_in_the_middle_is_sent_alone(client, tutor, video):
    stored, data = video
    response = _get(client, tutor, stored, Range="bytes=100000-199999")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100000-199999/{SIZE}"
    assert response["Content-Length"] == "100000"
    assert response["Content-Type"] == "video/mp4"
    assert _body(response) == data[100000:200000]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=250000-", 250000, SIZE - 1),  # from a point to the end
        ("bytes=-1000", SIZE - 1000, SIZE - 1),  # the last 1,000 bytes
        ("bytes=299990-400000", 299990, SIZE - 1),  # past the end: cut to the end
        ("bytes=0-0", 0, 0),
    ],
)
def test_open_and_suffix_ranges(client, tutor, video, header, first, last):
    stored, data = video
    response = _get(client, tutor, stored, preview=False, Range=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Disposition"] == 'attachment; filename="shift.mp4"'
    assert _body(response) == data[first : last + 1]


def test_a_range_outside_the_file_is_416(client, tutor, video):
    stored, _ = video
    response = _get(client, tutor, stored, Range=f"bytes={SIZE}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize("header", ["bytes=0-9,20-29", "items=0-9", "bytes=9-2x"])
def test_an_unusable_range_gets_the_whole_file(client, tutor, video, header):
    stored, data = video
    response = _get(client, tutor, stored, Range=header)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert _body(response) == data


def test_if_range_gets_the_whole_file(client, tutor, video):
    stored, data = video
    response = _get(client, tutor, stored, Range="bytes=0-9", **{"If-Range": '"x"'})
    assert response.status_code == 200
    assert _body(response) == data


def test_a_range_is_checked_like_a_download(client, second_tutor, outsider, video):
    stored, _ = video
    for stranger in (second_tutor, outsider):
        response = _get(client, stranger, stored, Range="bytes=0-99")
        assert response.status_code == 404
        assert b"ftyp" not in response.content


def test_the_range_parser():
    assert requested_range("bytes=5-9", 10) == (5, 9)
    assert requested_range("bytes=5-", 10) == (5, 9)
    assert requested_range("bytes=-3", 10) == (7, 9)
    assert requested_range("bytes=-30", 10) == (0, 9)
    assert requested_range("bytes=10-", 10) is False
    assert requested_range("bytes=9-5", 10) is False
    assert requested_range("bytes=-0", 10) is False
    assert requested_range("bytes=-", 10) is None
    assert requested_range(None, 10) is None
