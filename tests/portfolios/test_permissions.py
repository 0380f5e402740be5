import datetime

from accounts.models import Membership
from accounts.permissions import forget_memberships
from portfolios import permissions, services
from portfolios.models import Enrolment


def test_each_role_at_the_centre(enrolment, people, outsider):
    learner, tutor, eqa, admin = (people[r] for r in ["learner", "tutor", "eqa", "admin"])
    view = {
        u.username: permissions.can_view_enrolment(u, enrolment)
        for u in [*people.values(), outsider]
    }
    assert view == {
        "alice": True,
        "bob": True,
        "ivy": True,
        "eric": False,
        "carol": True,
        "charlie": False,
    }
    add = {u.username: permissions.can_add_evidence(u, enrolment) for u in people.values()}
    assert add == {"alice": True, "bob": True, "ivy": False, "eric": False, "carol": False}
    assert permissions.can_manage_enrolment(admin, enrolment)
    assert not permissions.can_manage_enrolment(tutor, enrolment)
    assert permissions.can_submit_for_enrolment(learner, enrolment)
    assert not permissions.can_submit_for_enrolment(tutor, enrolment)
    assert not permissions.can_view_enrolment(eqa, enrolment)


def test_a_role_elsewhere_is_not_enough(enrolment, outsider, learner):
    # Charlie is a centre admin and tutor, but at centre B.
    assert not permissions.can_view_enrolment(outsider, enrolment)
    assert not permissions.can_enrol(outsider, enrolment.centre)


def test_deactivated_learner_loses_access(enrolment, learner):
    Membership.objects.filter(user=learner).update(is_active=False)
    forget_memberships(learner)
    assert not permissions.can_view_enrolment(learner, enrolment)


def test_withdrawn_enrolment_takes_no_new_evidence(enrolment, learner):
    Enrolment.objects.filter(pk=enrolment.pk).update(status="withdrawn")
    enrolment.refresh_from_db()
    assert permissions.can_view_enrolment(learner, enrolment)
    assert not permissions.can_add_evidence(learner, enrolment)
    assert not permissions.can_submit_for_enrolment(learner, enrolment)


def test_learner_cannot_change_the_tutors_observation(enrolment, learner, tutor, observation):
    record = services.evidence_create(
        enrolment=enrolment,
        by=tutor,
        title="Observed",
        method=observation,
        date=datetime.date(2026, 1, 3),
        text="Seen serving customers.",
    )
    assert permissions.can_edit_evidence(tutor, record)
    assert not permissions.can_edit_evidence(learner, record)
    # ...but submits it with the rest of the portfolio.
    assert permissions.can_submit_evidence(learner, record)
    assert not permissions.can_submit_evidence(tutor, record)
