"""The export button (centre admins of the learner's centre only) and the import page (upload,
preview, confirm) of the receiving centre's admins."""

import io
import json
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEntry
from portfolios.models import Enrolment, Evidence, PortfolioImport
from tests.portable.conftest import package_of, parts_of, repack

pytestmark = pytest.mark.django_db


def _client(client, user):
    client.force_login(user)
    return client


def _upload(package: bytes):
    return SimpleUploadedFile("portfolio.zip", package, content_type="application/zip")


# ---------------------------------------------------------------- export


def test_centre_admin_exports_the_package(client, portfolio, centre_admin):
    response = _client(client, centre_admin).post(
        reverse("portable:export", args=[portfolio.enrolment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="portfolio-alice-')
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["learner"]["name"] == "Alice Alicefield"
    assert (
        AuditEntry.objects.filter(
            action="portfolio_exported", enrolment_id=portfolio.enrolment.pk, actor=centre_admin
        ).count()
        == 1
    )


@pytest.mark.parametrize("who", ["learner", "tutor", "internal_moderator"])
def test_others_at_the_centre_may_not_export(client, portfolio, request, who):
    user = request.getfixturevalue(who)
    response = _client(client, user).post(reverse("portable:export", args=[portfolio.enrolment.pk]))
    assert response.status_code == 403


def test_admin_of_another_centre_gets_404(client, portfolio, outsider):
    response = _client(client, outsider).post(
        reverse("portable:export", args=[portfolio.enrolment.pk])
    )
    assert response.status_code == 404
    assert b"Alicefield" not in response.content


def test_export_needs_sign_in_and_a_post(client, portfolio, centre_admin):
    url = reverse("portable:export", args=[portfolio.enrolment.pk])
    assert client.post(url)["Location"].startswith(reverse("login"))
    assert _client(client, centre_admin).get(url).status_code == 405


def test_portfolio_page_offers_the_export_to_admins_only(client, portfolio, centre_admin, tutor):
    url = reverse("portfolio", args=[portfolio.enrolment.pk])
    assert b'data-testid="export-portfolio"' in _client(client, centre_admin).get(url).content
    client.logout()
    assert b'data-testid="export-portfolio"' not in _client(client, tutor).get(url).content


# ---------------------------------------------------------------- import


def test_import_preview_then_confirm(
    client, portfolio, other_centre, receiving_admin, receiving_tutor
):
    url = reverse("portable:import", args=[other_centre.pk])
    c = _client(client, receiving_admin)
    assert c.get(url).status_code == 200
    enrolments = Enrolment.objects.count()
    preview = c.post(
        url, {"package": _upload(package_of(portfolio.enrolment)), "tutor": receiving_tutor.pk}
    )
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "Alice Alicefield's portfolio from Alpha College (A0001)" in text
    assert "4 of 4" in text and "0 of 2" in text
    assert Enrolment.objects.count() == enrolments
    token = preview.context["form"].initial["token"]

    done = c.post(url, {"token": token, "tutor": receiving_tutor.pk})
    imported = PortfolioImport.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("portfolio", args=[imported.enrolment.pk])
    assert imported.imported_by == receiving_admin
    assert imported.enrolment.centre == other_centre
    page = c.get(done["Location"]).content.decode()
    assert "Imported from Alpha College (A0001) on " in page
    # The waiting package is gone, and the same token does not import twice.
    again = c.post(url, {"token": token, "tutor": receiving_tutor.pk})
    assert again.status_code == 302
    assert again["Location"] == url
    assert PortfolioImport.objects.count() == 1


def test_tampered_package_is_refused_on_the_page(
    client, portfolio, other_centre, receiving_admin, receiving_tutor, media_root
):
    parts = parts_of(package_of(portfolio.enrolment))
    del parts[f"files/{portfolio.submitted.files.get().pk}"]
    stored_before = sorted(media_root.rglob("*"))
    evidence = Evidence.objects.count()
    response = _client(client, receiving_admin).post(
        reverse("portable:import", args=[other_centre.pk]),
        {"package": _upload(repack(parts)), "tutor": receiving_tutor.pk},
    )
    assert response.status_code == 400
    assert response.context["problems"] == [
        f"files/{portfolio.submitted.files.get().pk} (Complaint log.pdf of E001) is listed in "
        "the manifest but missing from the package."
    ]
    assert "nothing was imported" in response.content.decode()
    assert Evidence.objects.count() == evidence
    assert sorted(media_root.rglob("*")) == stored_before


def test_token_of_another_session_imports_nothing(
    client, portfolio, other_centre, receiving_admin, receiving_tutor
):
    response = _client(client, receiving_admin).post(
        reverse("portable:import", args=[other_centre.pk]),
        {"token": "0" * 32, "tutor": receiving_tutor.pk},
    )
    assert response.status_code == 302
    assert PortfolioImport.objects.count() == 0


@pytest.mark.parametrize("who", ["receiving_tutor"])
def test_tutor_of_the_receiving_centre_may_not_import(client, other_centre, request, who):
    user = request.getfixturevalue(who)
    response = _client(client, user).get(reverse("portable:import", args=[other_centre.pk]))
    assert response.status_code == 403


def test_admin_of_another_centre_may_not_import_here(client, other_centre, centre_admin):
    response = _client(client, centre_admin).get(reverse("portable:import", args=[other_centre.pk]))
    assert response.status_code == 404


def test_import_page_needs_sign_in(client, other_centre):
    response = client.get(reverse("portable:import", args=[other_centre.pk]))
    assert response["Location"].startswith(reverse("login"))


def test_package_left_at_the_preview_for_a_day_is_deleted(
    client, portfolio, other_centre, receiving_admin, receiving_tutor, media_root
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    old = default_storage.save("portable/pending/0-old.zip", ContentFile(b"old"))
    day_ago = (media_root / old).stat().st_mtime - 25 * 3600
    os.utime(media_root / old, (day_ago, day_ago))
    recent = default_storage.save("portable/pending/0-recent.zip", ContentFile(b"recent"))
    preview = _client(client, receiving_admin).post(
        reverse("portable:import", args=[other_centre.pk]),
        {"package": _upload(package_of(portfolio.enrolment)), "tutor": receiving_tutor.pk},
    )
    assert preview.status_code == 200
    token = preview.context["form"].initial["token"]
    assert sorted(p.name for p in (media_root / "portable/pending").iterdir()) == sorted(
        ["0-recent.zip", f"{other_centre.pk}-{token}.zip"]
    )
    assert recent.endswith("0-recent.zip")
