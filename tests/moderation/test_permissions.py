import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation import permissions, services
from portfolios import permissions as portfolio_permissions
from portfolios.models import EqaGrant
from portfolios.permissions import can_view_enrolment
from tests.moderation.conftest import add_evidence, criteria


def grant(centre, admin, moderator, *, enrolments=(), units=(), starts=None, ends=None):
    now = timezone.now()
    return services.grant_create(
        centre=centre,
        by=admin,
        moderator=moderator,
        starts_at=starts or now - datetime.timedelta(hours=1),
        ends_at=ends or now + datetime.timedelta(days=7),
        enrolments=list(enrolments),
        units=list(units),
    )


def fresh(user):
    portfolio_permissions.forget_grants(user)
    return user


def test_external_moderator_sees_nothing_without_a_grant(enrolment, external_moderator):
    assert not portfolio_permissions.eqa_grant_covers(external_moderator, enrolment)
    assert not can_view_enrolment(external_moderator, enrolment)


def test_grant_opens_the_portfolio(enrolment, external_moderator, centre_admin, centre):
    grant(centre, centre_admin, external_moderator, enrolments=[enrolment])
    assert portfolio_permissions.eqa_grant_covers(fresh(external_moderator), enrolment)
    assert can_view_enrolment(external_moderator, enrolment)


def test_grant_ends_by_itself(enrolment, external_moderator, centre_admin, centre):
    g = grant(centre, centre_admin, external_moderator, enrolments=[enrolment])
    EqaGrant.objects.filter(pk=g.pk).update(ends_at=timezone.now() - datetime.timedelta(seconds=1))
    assert not portfolio_permissions.eqa_grant_covers(fresh(external_moderator), enrolment)
    assert not can_view_enrolment(external_moderator, enrolment)


def test_grant_not_started_yet_opens_nothing(enrolment, external_moderator, centre_admin, centre):
    now = timezone.now()
    grant(
        centre,
        centre_admin,
        external_moderator,
        enrolments=[enrolment],
        starts=now + datetime.timedelta(days=1),
        ends=now + datetime.timedelta(days=2),
    )
    assert not portfolio_permissions.eqa_grant_covers(fresh(external_moderator), enrolment)


def test_revoked_grant_opens_nothing(enrolment, external_moderator, centre_admin, centre):
    g = grant(centre, centre_admin, external_moderator, enrolments=[enrolment])
    services.grant_revoke(grant=g, by=centre_admin)
    assert not portfolio_permissions.eqa_grant_covers(fresh(external_moderator), enrolment)


def test_unit_grant_opens_only_that_unit(
    enrolment, dora_enrolment, external_moderator, centre_admin, centre, catalogue
):
    grant(centre, centre_admin, external_moderator, units=[catalogue.unit_b])
    eqa = fresh(external_moderator)
    # Every learner taking the unit, but only that unit.
    assert portfolio_permissions.eqa_grant_covers(eqa, enrolment)
    assert portfolio_permissions.eqa_grant_covers(eqa, dora_enrolment)
    assert portfolio_permissions.eqa_grant_covers(eqa, enrolment, catalogue.unit_b)
    assert not portfolio_permissions.eqa_grant_covers(eqa, enrolment, catalogue.unit_a)


def test_learner_grant_opens_only_that_learner(
    enrolment, dora_enrolment, external_moderator, centre_admin, centre
):
    grant(centre, centre_admin, external_moderator, enrolments=[dora_enrolment])
    eqa = fresh(external_moderator)
    assert portfolio_permissions.eqa_grant_covers(eqa, dora_enrolment)
    assert not portfolio_permissions.eqa_grant_covers(eqa, enrolment)


def test_grant_of_one_centre_opens_nothing_at_another(
    enrolment, other_enrolment, outsider, centre_admin, centre, external_moderator
):
    grant(centre, centre_admin, external_moderator, enrolments=[enrolment])
    # Charlie is an external moderator at centre B only; no grant of centre A names him.
    assert not portfolio_permissions.eqa_grant_covers(outsider, enrolment)
    assert not portfolio_permissions.eqa_grant_covers(fresh(external_moderator), other_enrolment)


def test_only_a_centre_admin_grants_and_only_to_an_external_moderator(
    enrolment, external_moderator, internal_moderator, centre_admin, centre, tutor
):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        grant(centre, internal_moderator, external_moderator, enrolments=[enrolment])
    with pytest.raises(ValidationError):
        grant(centre, centre_admin, tutor, enrolments=[enrolment])
    with pytest.raises(ValidationError):
        grant(centre, centre_admin, external_moderator)


def test_internal_moderator_predicates(enrolment, internal_moderator, tutor, outsider):
    assert permissions.can_sample_internally(internal_moderator, enrolment)
    assert not permissions.can_sample_internally(tutor, enrolment)
    assert not permissions.can_sample_internally(outsider, enrolment)


def test_assessing_predicates(enrolment, tutor, second_tutor, learner, centre_admin):
    assert permissions.can_assess(tutor, enrolment)
    assert not permissions.can_assess(second_tutor, enrolment)
    assert not permissions.can_assess(centre_admin, enrolment)
    assert permissions.can_acknowledge(learner, enrolment)
    assert not permissions.can_acknowledge(tutor, enrolment)


def test_unit_grant_never_opens_the_rest_of_the_portfolio(
    client, enrolment, learner, external_moderator, centre_admin, centre, catalogue
):
    only_a = add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_a), title="A")
    only_b = add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_b), title="B")
    grant(centre, centre_admin, external_moderator, units=[catalogue.unit_b])
    client.force_login(external_moderator)
    # The whole-portfolio page is not theirs; the granted unit's evidence and files are.
    assert client.get(reverse("portfolio", args=[enrolment.pk])).status_code == 404
    assert client.get(reverse("evidence_detail", args=[only_b.pk])).status_code == 200
    file_b = only_b.files.get()
    assert client.get(reverse("evidence_file_download", args=[file_b.pk])).status_code == 200
    # Evidence of unit A only, and its file, could leak; they must not.
    response = client.get(reverse("evidence_detail", args=[only_a.pk]))
    assert response.status_code == 404
    assert "A.pdf" not in response.text
    file_a = only_a.files.get()
    assert client.get(reverse("evidence_file_download", args=[file_a.pk])).status_code == 404


def test_learner_grant_opens_the_whole_portfolio(
    client, enrolment, external_moderator, centre_admin, centre
):
    grant(centre, centre_admin, external_moderator, enrolments=[enrolment])
    client.force_login(external_moderator)
    assert client.get(reverse("portfolio", args=[enrolment.pk])).status_code == 200
