"""A real S3 API on 127.0.0.1 (moto's server mode, tests/storage/moto_server.py), and the
portal's S3 settings pointed at it."""

import boto3
import pytest

from tests.portfolios.conftest import (  # noqa: F401 (fixtures shared with the portfolio tests)
    catalogue,
    enrolment,
    evidence_methods,
    method,
    second_tutor,
)
from tests.storage.moto_server import moto_server

BUCKET = "portal-evidence"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "eu-west-2"


@pytest.fixture(scope="session")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_client(s3_endpoint):
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **KEYS)


@pytest.fixture
def s3(settings, s3_endpoint, s3_client, monkeypatch, tmp_path):
    """Every file of the test goes to an empty bucket of the store; nothing to local disk."""
    s3_client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.MEDIA_ROOT = tmp_path / "not-used"
    settings.STORAGE = "s3"
    settings.STORAGE_DOWNLOADS = "stream"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "portfolios.objectstore.S3Storage",
            "OPTIONS": {
                **settings.S3_OPTIONS,
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": REGION,
                "access_key": KEYS["aws_access_key_id"],
                "secret_key": KEYS["aws_secret_access_key"],
            },
        },
    }
    yield s3_client
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    for key in keys:
        s3_client.delete_object(Bucket=BUCKET, Key=key)
    s3_client.delete_bucket(Bucket=BUCKET)
    assert not (tmp_path / "not-used").exists(), "a file went to local disk"


def stored_keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))
