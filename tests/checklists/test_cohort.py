"""A centre admin prints every learner of a qualification into one PDF, in the background."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists import tasks
from checklists.enums import CohortPrintStatus, Layout
from checklists.models import CohortPrint
from portfolios.enums import EnrolmentStatus
from tests.checklists.helpers import enrol, pdf_reader, pdf_text


@pytest.fixture
def cohort(portfolio, enrolment, catalogue, centre, other_learner, named_people, centre_admin):
    """Alice (with evidence) and Dora (without) on the qualification at centre A."""
    _, tutor = named_people
    dora = enrol(catalogue, centre=centre, learner=other_learner, tutor=tutor, by=centre_admin)
    return [enrolment, dora]


def progress_tag(page: str) -> str:
    """The opening tag of the progress section, which carries the polling attributes."""
    return re.search(r'<section[^>]*id="cohort-progress"[^>]*>', page).group(0)


def list_url(centre):
    return reverse("cohort_print_list", args=[centre.pk])


def start(client, centre, catalogue, layout="achievement"):
    return client.post(
        list_url(centre), {"qualification": catalogue.qualification.pk, "layout": layout}
    )


def test_admin_starts_a_cohort_print_and_downloads_one_merged_pdf(
    client, cohort, centre, catalogue, centre_admin
):
    client.force_login(centre_admin)
    page = client.get(list_url(centre)).content.decode()
    assert "600/0001/1 Level 2 Diploma in Testing (2 learners)" in page

    response = start(client, centre, catalogue)
    cohort_print = CohortPrint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cohort_print_detail", args=[cohort_print.pk])
    # The immediate backend has run the task by now.
    assert cohort_print.status == CohortPrintStatus.DONE
    assert (cohort_print.done, cohort_print.total) == (2, 2)
    assert cohort_print.task_id
    assert cohort_print.requested_by == centre_admin

    detail = client.get(response["Location"]).content.decode()
    assert "2 of 2 learners printed" in detail
    assert reverse("cohort_print_download", args=[cohort_print.pk]) in detail
    assert "hx-get" not in progress_tag(detail)  # finished: the page stops polling

    download = client.get(reverse("cohort_print_download", args=[cohort_print.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment; ")
    pdf = b"".join(download.streaming_content)
    reader = pdf_reader(pdf)
    assert len(reader.pages) == cohort_print.pages
    assert [item.title for item in reader.outline if not isinstance(item, list)][:1] == [
        "Alice Archer"
    ]
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    text = pdf_text(pdf)
    assert "AliceArcher" in text and "DoraDunn" in text
    assert "WelcomedesklogE001" in text


def test_withdrawn_learners_are_left_out(client, cohort, centre, catalogue, centre_admin):
    dora = cohort[1]
    type(dora).objects.filter(pk=dora.pk).update(status=EnrolmentStatus.WITHDRAWN)
    cohort_print = tasks.cohort_print_start(
        centre=centre,
        qualification=catalogue.qualification,
        layout=Layout.ACHIEVEMENT,
        by=centre_admin,
    )
    assert (cohort_print.done, cohort_print.total) == (1, 1)
    with cohort_print.pdf.open("rb") as file:
        assert "DoraDunn" not in pdf_text(file.read())


def test_progress_fragment_polls_while_the_print_runs(
    client, cohort, centre, catalogue, centre_admin
):
    cohort_print = CohortPrint.objects.create(
        centre=centre,
        qualification=catalogue.qualification,
        requested_by=centre_admin,
        total=2,
        done=1,
        status=CohortPrintStatus.RUNNING,
    )
    client.force_login(centre_admin)
    url = reverse("cohort_print_detail", args=[cohort_print.pk])
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert f'hx-get="{url}"' in progress_tag(fragment)
    assert 'hx-trigger="every 1s"' in progress_tag(fragment)
    assert "1 of 2 learners printed" in fragment
    assert 'value="50"' in fragment
    assert client.get(reverse("cohort_print_download", args=[cohort_print.pk])).status_code == 404


def test_a_failed_print_says_so(client, cohort, centre, catalogue, centre_admin):
    cohort_print = CohortPrint.objects.create(
        centre=centre,
        qualification=catalogue.qualification,
        requested_by=centre_admin,
        status=CohortPrintStatus.FAILED,
        error="Disk full",
    )
    client.force_login(centre_admin)
    page = client.get(reverse("cohort_print_detail", args=[cohort_print.pk])).content.decode()
    assert "The print failed: Disk full" in page
    assert "hx-get" not in progress_tag(page)


def test_a_qualification_with_no_learners_here_cannot_be_chosen(
    client, outsider_portfolio, centre, catalogue, centre_admin
):
    """Charlie's centre has learners on it; this centre has none."""
    client.force_login(centre_admin)
    response = start(client, centre, catalogue)
    assert response.status_code == 400
    assert CohortPrint.objects.count() == 0


def test_another_centres_admin_cannot_print_or_see_this_cohort(
    client, cohort, centre, catalogue, centre_admin, outsider
):
    cohort_print = tasks.cohort_print_start(
        centre=centre,
        qualification=catalogue.qualification,
        layout=Layout.ACHIEVEMENT,
        by=centre_admin,
    )
    client.force_login(outsider)
    assert client.get(list_url(centre)).status_code == 404
    assert start(client, centre, catalogue).status_code == 404
    for name in ("cohort_print_detail", "cohort_print_download"):
        response = client.get(reverse(name, args=[cohort_print.pk]))
        assert response.status_code == 404
        assert b"Alice" not in response.content and b"%PDF" not in response.content
    assert CohortPrint.objects.count() == 1


@pytest.mark.parametrize("role", ["learner", "tutor", "internal_moderator", "external_moderator"])
def test_other_roles_at_the_centre_are_refused(
    client, request, cohort, centre, catalogue, centre_admin, role
):
    cohort_print = tasks.cohort_print_start(
        centre=centre,
        qualification=catalogue.qualification,
        layout=Layout.ACHIEVEMENT,
        by=centre_admin,
    )
    client.force_login(request.getfixturevalue(role))
    assert client.get(list_url(centre)).status_code == 403
    assert start(client, centre, catalogue).status_code == 403
    assert client.get(reverse("cohort_print_detail", args=[cohort_print.pk])).status_code == 403
    response = client.get(reverse("cohort_print_download", args=[cohort_print.pk]))
    assert response.status_code == 403
    assert b"%PDF" not in response.content


def test_anonymous_is_sent_to_sign_in(client, cohort, centre, catalogue, centre_admin):
    cohort_print = tasks.cohort_print_start(
        centre=centre,
        qualification=catalogue.qualification,
        layout=Layout.ACHIEVEMENT,
        by=centre_admin,
    )
    for url in (
        list_url(centre),
        reverse("cohort_print_detail", args=[cohort_print.pk]),
        reverse("cohort_print_download", args=[cohort_print.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_the_list_shows_recent_prints_in_a_fixed_number_of_queries(
    client, cohort, centre, catalogue, centre_admin, django_assert_num_queries
):
    """1 print and 10 prints cost the same queries (counted once, then asserted)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(centre_admin)
    CohortPrint.objects.create(
        centre=centre, qualification=catalogue.qualification, requested_by=centre_admin
    )
    with CaptureQueriesContext(connection) as one:
        assert client.get(list_url(centre)).status_code == 200
    CohortPrint.objects.bulk_create(
        [
            CohortPrint(
                centre=centre, qualification=catalogue.qualification, requested_by=centre_admin
            )
            for _ in range(9)
        ]
    )
    with django_assert_num_queries(len(one)):
        page = client.get(list_url(centre)).content.decode()
    assert page.count("Waiting to start") == 10


def test_a_print_nobody_picks_up_says_the_worker_may_be_down(
    client, cohort, centre, catalogue, centre_admin
):
    cohort_print = CohortPrint.objects.create(
        centre=centre, qualification=catalogue.qualification, requested_by=centre_admin, total=2
    )
    client.force_login(centre_admin)
    url = reverse("cohort_print_detail", args=[cohort_print.pk])
    assert "db_worker" not in client.get(url).content.decode()
    CohortPrint.objects.filter(pk=cohort_print.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    page = client.get(url).content.decode()
    assert "Nothing has started this print yet" in page and "manage.py db_worker" in page
    assert 'hx-trigger="every 1s"' in progress_tag(page)  # still polling
