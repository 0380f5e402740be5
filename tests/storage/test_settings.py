"""The storage and cache settings: local disk and a per-process cache with nothing set; a bad
value stops the start with a message naming it."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from tests.portfolios.helpers import minimal_pdf, upload

SHOW = (
    "import json, portal.settings as s; "
    "print(json.dumps([s.STORAGES['default'], s.CACHES['default']['BACKEND'], "
    "s.CACHES['default'].get('LOCATION'), s.CACHES['default'].get('KEY_PREFIX')]))"
)


def _settings_with(**environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE", "AWS_", "CACHE"))}
    return subprocess.run(  # noqa: S603 (this interpreter loading the settings)
        [sys.executable, "-c", SHOW],
        cwd=settings.BASE_DIR,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_nothing_set_is_local_disk_and_a_cache_on_disk_shared_by_the_workers():
    result = _settings_with()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "django.core.cache.backends.filebased.FileBasedCache",
        str(settings.BASE_DIR / "var" / "cache"),
        None,
    ]


def test_s3_and_redis_from_the_environment():
    result = _settings_with(
        STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="portal-evidence",
        AWS_S3_ENDPOINT_URL="https://minio.internal:9000",
        AWS_S3_REGION_NAME="eu-west-2",
        CACHE_URL="redis://10.0.0.20:6379/2?key_prefix=portal",
    )
    assert result.returncode == 0, result.stderr
    storage, cache, location, prefix = json.loads(result.stdout)
    assert storage["BACKEND"] == "portfolios.objectstore.S3Storage"
    assert {k: storage["OPTIONS"][k] for k in ("bucket_name", "endpoint_url", "region_name")} == {
        "bucket_name": "portal-evidence",
        "endpoint_url": "https://minio.internal:9000",
        "region_name": "eu-west-2",
    }
    assert storage["OPTIONS"]["querystring_expire"] == 60
    assert storage["OPTIONS"]["file_overwrite"] is False
    assert storage["OPTIONS"]["default_acl"] is None
    assert (cache, location, prefix) == (
        "django.core.cache.backends.redis.RedisCache",
        "redis://10.0.0.20:6379/2",
        "portal",
    )


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"STORAGE": "disk"}, "STORAGE is 'disk'; it may be 'local' or 's3'."),
        ({"STORAGE": "s3"}, "STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME."),
        ({"STORAGE_LINK_SECONDS": "3600"}, "STORAGE_LINK_SECONDS must be between 1 and 60."),
        ({"STORAGE_LINK_SECONDS": "0"}, "STORAGE_LINK_SECONDS must be between 1 and 60."),
        (
            {"STORAGE_DOWNLOADS": "proxy"},
            "STORAGE_DOWNLOADS is 'proxy'; it may be 'stream' or 'redirect'.",
        ),
        ({"STORAGE_PART_MB": "1"}, "STORAGE_PART_MB must be at least 5 (the S3 minimum)."),
    ],
)
def test_a_bad_value_stops_the_start_naming_it(environment, message):
    result = _settings_with(**environment)
    assert result.returncode == 1
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_on_local_disk_a_download_streams_even_when_redirect_is_asked_for(
    settings, client, learner, enrolment, method, tmp_path
):
    from portfolios import services

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGE_DOWNLOADS = "redirect"
    pdf = minimal_pdf("Local")
    evidence = services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Local",
        method=method,
        date=enrolment.start_date,
        files=[upload("local.pdf", pdf)],
    )
    client.force_login(learner)
    response = client.get(reverse("evidence_file_download", args=[evidence.files.get().pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf
    assert (tmp_path / "media" / evidence.files.get().file.name).read_bytes() == pdf
