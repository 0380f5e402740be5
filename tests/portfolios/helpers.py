"""Building blocks for the portfolio tests: real file bytes and raw multipart bodies."""

import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from portfolios.demo import demo_pdf
from qualifications.models import (
    AssessmentCriterion,
    LearningOutcome,
    Unit,
)


def minimal_pdf(text: str = "Evidence") -> bytes:
    """A small but real one-page PDF (valid cross-reference table included)."""
    return demo_pdf(text)


def png_bytes(colour=(30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_unit(code: str, title: str, *, outcomes: int = 2, criteria: int = 3, credits=None):
    unit = Unit.objects.create(
        slug=(code or title).lower().replace("/", "-").replace(" ", "-"),
        code=code,
        title=title,
        level=2,
        credit_value=credits,
    )
    for o in range(1, outcomes + 1):
        outcome = LearningOutcome.objects.create(
            unit=unit,
            number=str(o),
            title=f"Understand part {o} of {title.lower()}",
            guidance=f"Range for outcome {o}: customers, colleagues",
        )
        for c in range(1, criteria + 1):
            AssessmentCriterion.objects.create(
                outcome=outcome,
                number=f"{o}.{c}",
                text=f"Explain point {o}.{c} of {title.lower()}",
                guidance="Give two examples" if c == 1 else "",
            )
    return unit


def evidence_data(method, **overrides) -> dict:
    """Form data for the evidence form, with the end-of-upload marker last (as browsers do)."""
    data = {
        "title": "Handling a complaint",
        "method": method.pk,
        "date": "2026-01-15",
        "description": "",
        "text": "",
        "workplace_location": "",
        **overrides,
    }
    data.pop("upload_complete", None)
    data["upload_complete"] = "1"
    return data


def multipart(fields, files, *, boundary=None, complete=True) -> tuple[bytes, str]:
    """A multipart/form-data body written by hand, for what the test client will not send:
    file names with folders or control characters, and bodies cut off half way."""
    boundary = boundary or uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(str(value).encode() + b"\r\n")
    for name, filename, content, content_type in files:
        out.write(f"--{boundary}\r\n".encode())
        out.write(
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode()
        )
        out.write(f"Content-Type: {content_type}\r\n\r\n".encode())
        out.write(content + b"\r\n")
    if complete:
        out.write(f"--{boundary}\r\n".encode())
        out.write(b'Content-Disposition: form-data; name="upload_complete"\r\n\r\n1\r\n')
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def add_url(enrolment) -> str:
    return reverse("evidence_create", args=[enrolment.pk])


def shown_text(html: str, testid: str) -> str:
    """The words of the element with this data-testid, tags taken out and spaces squeezed
    (the element's own closing tag ends it; nested elements of the same name are not
    expected)."""
    import re

    match = re.search(rf'<(\w+)[^>]*data-testid="{re.escape(testid)}"[^>]*>', html)
    assert match, f"no element {testid!r} on the page"
    tag, start = match.group(1), match.end()
    depth, pos = 1, start
    pattern = re.compile(rf"<(/?){tag}\b[^>]*>")
    while depth:
        found = pattern.search(html, pos)
        assert found, f"element {testid!r} is not closed"
        depth += -1 if found.group(1) else 1
        pos = found.end()
    inner = html[start : found.start()]
    return " ".join(re.sub(r"<[^>]+>", "", inner).split())
