"""The S3-compatible object store (`STORAGE=s3`): django-storages' backend, made to stream.

Three things the stock backend does not do the way the portal needs:

- An upload already on disk (Django's temporary upload file) is sent from its path: boto3 then
  reads each multipart part from the file as it sends it. Given a file object instead, boto3
  copies every part into memory first (several at once with threads).
- Reading a file for a download or an EQA bundle streams the object's body; the stock `open()`
  downloads the whole object before the first byte.
- A signed link names the download's file name and type, and lives `STORAGE_LINK_SECONDS`.

Only `STORAGE=s3` imports this module (and boto3 with it).
"""

from datetime import datetime, timedelta

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from django.conf import settings
from django.utils import timezone
from django.utils.http import content_disposition_header
from storages.backends import s3
from storages.utils import clean_name

MB = 1024 * 1024


def _temporary_path(content) -> str | None:
    """The path of the upload's temporary file, when Django put it on disk."""
    path = getattr(content, "temporary_file_path", None)
    return path() if callable(path) else None


def _missing(error: ClientError) -> bool:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404 or (
        error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}
    )


class S3Storage(s3.S3Storage):
    # Tells portfolios.uploads that a file on disk is best handed over as it is.
    sends_from_path = True

    def __init__(self, **options):
        part = settings.STORAGE_PART_MB * MB
        options.setdefault(
            "transfer_config",
            # Two parts in flight: each holds about 1 MB (botocore's read buffer), and two
            # cores are what most centres' servers have.
            TransferConfig(multipart_threshold=part, multipart_chunksize=part, max_concurrency=2),
        )
        super().__init__(**options)

    def _save(self, name, content):
        path = _temporary_path(content)
        if path is None:
            return super()._save(name, content)
        cleaned = clean_name(name)
        key = self._normalize_name(cleaned)
        params = self._get_write_parameters(key, content)
        self.bucket.Object(key).upload_file(path, ExtraArgs=params, Config=self.transfer_config)
        return cleaned

    def _get_write_parameters(self, name, content=None):
        # Not from `content`: an upload's type is the browser's claim. An object is typed by its
        # name, and evidence names have no extension (application/octet-stream); downloads give
        # the type found from the content.
        return super()._get_write_parameters(name)

    def _object(self, name):
        return self.bucket.Object(self._normalize_name(clean_name(name)))

    def open_stream(self, name, *, byte_range: tuple[int, int] | None = None):
        """The object's body (or bytes `byte_range`, first and last inclusive), read as it
        arrives; FileNotFoundError when there is none."""
        extra = {"Range": "bytes={}-{}".format(*byte_range)} if byte_range else {}
        try:
            answer = self._object(name).get(**extra)
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(f"No such file in the store: {name}") from error
            raise
        body = answer["Body"]
        body.size = answer["ContentLength"]
        return body

    def object_size(self, name) -> int:
        """The object's size in bytes; FileNotFoundError when there is none."""
        try:
            return self._object(name).content_length
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(f"No such file in the store: {name}") from error
            raise

    def read_recent(self, name, *, fresh_for: timedelta) -> bytes:
        """The whole (small) file, its modified time moved to now when older than `fresh_for`,
        so a prune by age keeps what is in use. FileNotFoundError when there is none."""
        try:
            answer = self._object(name).get()
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(f"No such file in the store: {name}") from error
            raise
        with answer["Body"] as body:
            data = body.read()
        modified: datetime = answer["LastModified"]
        if timezone.now() - modified > fresh_for:
            # Copying an object onto itself is how S3 gives it a new modified time.
            key = self._normalize_name(clean_name(name))
            self.connection.meta.client.copy_object(
                Bucket=self.bucket_name,
                Key=key,
                CopySource={"Bucket": self.bucket_name, "Key": key},
                MetadataDirective="REPLACE",
                ContentType=answer["ContentType"],
            )
        return data

    def download_url(self, name, *, filename: str, content_type: str) -> str:
        """A signed link to the file, saved under `filename`; it expires within a minute."""
        return self.url(
            name,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, filename),
                "ResponseContentType": content_type,
            },
            expire=settings.STORAGE_LINK_SECONDS,
        )
