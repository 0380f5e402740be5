"""Who may assess, sign, sample, grant and read the record.

A role is never enough on its own: a tutor judges only the learners assigned to them, an
internal moderator samples only other tutors' work at their own centre, and an external
moderator reaches only what a current grant of the centre opens to them.
"""

from accounts.enums import Role
from accounts.permissions import has_role
from portfolios.permissions import (
    eqa_grant_covers,
    is_enrolment_learner,
    is_enrolment_tutor,
    sees_whole_enrolment,
)

# ---------------------------------------------------------------- reading the record


def can_view_record(user, enrolment, unit=None) -> bool:
    """Decisions, sign-offs and samples: whoever sees the portfolio, or a grant covering it."""
    return sees_whole_enrolment(user, enrolment) or eqa_grant_covers(user, enrolment, unit)


def can_download_bundle(user, enrolment) -> bool:
    """The EQA bundle: the external moderator it is for, and the centre people preparing it."""
    return (
        has_role(user, enrolment.centre_id, Role.CENTRE_ADMIN)
        or has_role(user, enrolment.centre_id, Role.INTERNAL_MODERATOR)
        or eqa_grant_covers(user, enrolment)
    )


def can_view_audit(user, centre) -> bool:
    return has_role(user, centre, Role.CENTRE_ADMIN) or has_role(
        user, centre, Role.INTERNAL_MODERATOR
    )


# ---------------------------------------------------------------- tutors and learners


def can_assess(user, enrolment) -> bool:
    """Only the learner's own tutor decides criteria and signs units, while the enrolment runs."""
    return enrolment.is_active and is_enrolment_tutor(user, enrolment)


def can_acknowledge(user, enrolment) -> bool:
    return is_enrolment_learner(user, enrolment)


# ---------------------------------------------------------------- moderators


def can_sample_internally(user, enrolment) -> bool:
    """An internal moderator of the centre, never on their own learners' (or own) work."""
    return (
        has_role(user, enrolment.centre_id, Role.INTERNAL_MODERATOR)
        and enrolment.tutor_id != user.pk
        and enrolment.learner_id != user.pk
    )


def can_sample_externally(user, enrolment, unit) -> bool:
    return eqa_grant_covers(user, enrolment, unit)


def can_plan_sampling(user, centre) -> bool:
    return has_role(user, centre, Role.INTERNAL_MODERATOR)


def can_view_sampling(user, centre) -> bool:
    """The centre's sampling plans and their grids, read-only for its admins (their
    dashboard's report links to them)."""
    return can_plan_sampling(user, centre) or has_role(user, centre, Role.CENTRE_ADMIN)


def can_grant_eqa(user, centre) -> bool:
    return has_role(user, centre, Role.CENTRE_ADMIN)
