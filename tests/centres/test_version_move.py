"""The centre admin's page for moving learners between versions of a qualification."""

import datetime

import pytest
from django.urls import reverse

from portfolios.models import CriterionDecision, VersionMove
from qualifications.models import Qualification
from tests.portfolios.test_moves import assessed, build_versions


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def versions(db):
    return build_versions()


@pytest.fixture
def alice(versions, centre, learner, tutor, centre_admin):
    return assessed(versions, centre=centre, learner=learner, tutor=tutor, by=centre_admin)[0]


def _url(centre, qualification):
    return reverse("version_move", args=[centre.pk, qualification.pk])


def test_page_shows_the_diff_and_what_each_learner_keeps(
    client, versions, alice, centre, centre_admin
):
    v1, v2, *_ = versions
    client.force_login(centre_admin)
    response = client.get(_url(centre, v1))
    assert response.status_code == 200
    page = response.content.decode()
    assert "A/100/0001 Deliver customer service: version 1 → 2" in page
    assert "1 added, 1 removed, 1 renumbered, 1 reworded, 1 unchanged." in page
    assert "Explain it anew" in page  # the new words of 1.2
    assert "Describe a new point" in page
    assert "A/100/0002 Communicate with customers: version 1 → 2" in page
    assert f'value="{alice.pk}" id="move-{alice.pk}" checked' in page
    # Alice: 3 decisions carried, 2 flagged.
    assert "<td>1</td>\n        <td>3</td>\n        <td>2<details" in page
    assert response.context["target"] == v2


def test_move_then_message(client, versions, alice, centre, centre_admin):
    v1, v2, *_ = versions
    client.force_login(centre_admin)
    response = client.post(_url(centre, v1), {"to": v2.pk, "enrolments": [alice.pk]}, follow=True)
    assert response.status_code == 200
    assert (
        "Moved 1 learner to version 2: 3 decisions carried, 2 criteria flagged for the tutor to "
        "decide again, 0 units kept on the version it was assessed against."
    ) in response.content.decode()
    alice.refresh_from_db()
    assert alice.qualification == v2
    assert VersionMove.objects.filter(enrolment=alice, moved_by=centre_admin).count() == 1


def test_other_centre_and_wrong_role(client, versions, alice, centre, tutor, outsider):
    v1, v2, *_ = versions
    client.force_login(outsider)
    assert client.get(_url(centre, v1)).status_code == 404
    assert client.post(_url(centre, v1), {"to": v2.pk, "enrolments": [alice.pk]}).status_code == 404
    client.force_login(tutor)
    assert client.get(_url(centre, v1)).status_code == 403
    assert client.post(_url(centre, v1), {"to": v2.pk, "enrolments": [alice.pk]}).status_code == 403
    client.logout()
    assert client.get(_url(centre, v1)).status_code == 302
    assert not VersionMove.objects.exists()


def test_forged_posts_change_nothing(
    client, versions, alice, centre, other_centre, outsider, centre_admin
):
    v1, v2, *_ = versions
    decisions = CriterionDecision.objects.count()
    # Centre B's admin names centre A's learner under centre B's page.
    client.force_login(outsider)
    response = client.post(_url(other_centre, v1), {"to": v2.pk, "enrolments": [alice.pk]})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    # Centre A's admin: a version of another qualification; an invisible version.
    client.force_login(centre_admin)
    other = Qualification.objects.create(
        number="600/9999/9", title="Other", awarding_body=v1.awarding_body, level=2
    )
    hidden = Qualification.objects.create(
        number=v1.number,
        version=3,
        title=v1.title,
        awarding_body=v1.awarding_body,
        level=2,
        centre=other_centre,
    )
    for target in (other, hidden):
        response = client.post(_url(centre, v1), {"to": target.pk, "enrolments": [alice.pk]})
        assert response.status_code == 400
    # Another centre's own qualification is not even a page.
    assert client.get(_url(centre, hidden)).status_code == 404
    alice.refresh_from_db()
    assert alice.qualification == v1
    assert CriterionDecision.objects.count() == decisions
    assert not VersionMove.objects.exists()


def test_portfolio_and_tutor_screen_show_flags_and_history(
    client, versions, alice, centre, centre_admin, tutor, learner
):
    from portfolios import moves

    _v1, v2, _a, _b, a2, _b2 = versions
    moves.move_enrolments([alice], to_qualification=v2, by=centre_admin)
    today = datetime.date.today()
    flag = (
        f"A/100/0001: Criterion 1.2 was reworded in version 2; the earlier decision (Met, "
        f"{today.day} {today:%B %Y}) was not carried: decide again."
    )
    client.force_login(tutor)
    page = client.get(reverse("portfolio", args=[alice.pk])).content.decode()
    assert flag in page
    assert "Assessed against version 2 of 600/0001/1" in page
    assert "moved the learner from version 1 to version 2: 3 decisions carried, 2 flagged" in page
    assert "not carried: the criterion was removed" in page
    # The tutor's unit screen for the moved unit shows it; the other unit has none.
    page = client.get(reverse("moderation:unit_record", args=[alice.pk, a2.pk])).content.decode()
    assert flag in page
    page = client.get(reverse("moderation:unit_record", args=[alice.pk, _b2.pk])).content.decode()
    assert "Decide again after a change of version" not in page
    # The learner sees her history too; only the admin gets the link to move learners.
    client.force_login(learner)
    page = client.get(reverse("portfolio", args=[alice.pk])).content.decode()
    assert "Assessed against version 2" in page and flag in page
    assert "Move learners to another version" not in page


def test_tutor_queue_counts_the_flags(client, versions, alice, centre_admin, tutor):
    from portfolios import moves

    client.force_login(tutor)
    assert (
        'data-testid="move-flag-counts"'
        not in client.get(reverse("moderation:tutor_queue")).content.decode()
    )
    moves.move_enrolments([alice], to_qualification=versions[1], by=centre_admin)
    page = client.get(reverse("moderation:tutor_queue")).content.decode()
    assert "Criteria to decide again after a change of version" in page
    assert f'<a href="/portfolios/{alice.pk}/">Alice Alicefield</a>: 1 criterion' in page
