"""Who may do what with enrolments and evidence.

Roles are held per centre (accounts.permissions), and a role alone is never enough: a learner
reaches only their own enrolments and a tutor only the learners assigned to them. Internal
moderators of the centre may read every enrolment there; external moderators reach nothing
here yet (the moderation app grants them time-limited samples).
"""

from accounts.enums import Role
from accounts.permissions import has_role
from moderation.permissions import eqa_grant_covers_evidence, eqa_grant_opens_whole
from portfolios.enums import TUTOR_METHOD_SLUGS


def is_enrolment_learner(user, enrolment) -> bool:
    return enrolment.learner_id == user.pk and has_role(user, enrolment.centre_id, Role.LEARNER)


def is_enrolment_tutor(user, enrolment) -> bool:
    return enrolment.tutor_id == user.pk and has_role(user, enrolment.centre_id, Role.TUTOR)


def can_enrol(user, centre) -> bool:
    return has_role(user, centre, Role.CENTRE_ADMIN)


def can_list_enrolments(user, centre) -> bool:
    """Anyone at the centre who can see at least their own enrolments."""
    return any(
        has_role(user, centre, role)
        for role in (Role.LEARNER, Role.TUTOR, Role.INTERNAL_MODERATOR, Role.CENTRE_ADMIN)
    )


def can_view_enrolment(user, enrolment) -> bool:
    return (
        is_enrolment_learner(user, enrolment)
        or is_enrolment_tutor(user, enrolment)
        or has_role(user, enrolment.centre_id, Role.CENTRE_ADMIN)
        or has_role(user, enrolment.centre_id, Role.INTERNAL_MODERATOR)
        or eqa_grant_opens_whole(user, enrolment)
    )


def can_manage_enrolment(user, enrolment) -> bool:
    return has_role(user, enrolment.centre_id, Role.CENTRE_ADMIN)


def can_add_evidence(user, enrolment) -> bool:
    """The learner, and their tutor for what they observed; only while the enrolment runs."""
    return enrolment.is_active and (
        is_enrolment_learner(user, enrolment) or is_enrolment_tutor(user, enrolment)
    )


def can_submit_for_enrolment(user, enrolment) -> bool:
    """Only the learner declares the work their own."""
    return enrolment.is_active and is_enrolment_learner(user, enrolment)


def method_allowed_for(user, enrolment, method) -> bool:
    if is_enrolment_learner(user, enrolment):
        return True
    return is_enrolment_tutor(user, enrolment) and method.slug in TUTOR_METHOD_SLUGS


def can_view_evidence(user, evidence) -> bool:
    return can_view_enrolment(user, evidence.enrolment) or eqa_grant_covers_evidence(user, evidence)


def can_edit_evidence(user, evidence) -> bool:
    """Whoever recorded an item may change it until it is submitted; no one may after."""
    return (
        evidence.submitted_at is None
        and evidence.created_by_id == user.pk
        and can_add_evidence(user, evidence.enrolment)
    )


def can_delete_evidence(user, evidence) -> bool:
    return evidence.assessed_at is None and can_edit_evidence(user, evidence)


def can_submit_evidence(user, evidence) -> bool:
    return evidence.submitted_at is None and can_submit_for_enrolment(user, evidence.enrolment)


def can_correct_evidence(user, evidence) -> bool:
    """A submitted item is corrected by a new item that supersedes it (once), by its author."""
    return (
        evidence.submitted_at is not None
        and evidence.created_by_id == user.pk
        and can_add_evidence(user, evidence.enrolment)
    )
