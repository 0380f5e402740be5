"""Who may assess, sign, sample, grant and read the record.

A role is never enough on its own: a tutor judges only the learners assigned to them, an
internal moderator samples only other tutors' work at their own centre, and an external
moderator reaches only what a current grant of the centre opens to them.
"""

from django.utils import timezone

from accounts.enums import Role
from accounts.permissions import has_role

_GRANTS_ATTR = "_portal_eqa_grants"


def _is_learner(user, enrolment) -> bool:
    return enrolment.learner_id == user.pk and has_role(user, enrolment.centre_id, Role.LEARNER)


def _is_tutor(user, enrolment) -> bool:
    return enrolment.tutor_id == user.pk and has_role(user, enrolment.centre_id, Role.TUTOR)


def sees_whole_enrolment(user, enrolment) -> bool:
    """Everyone the portfolio app lets in by role (the same four as its `can_view_enrolment`),
    as opposed to an external moderator, whose grant may open only some units."""
    return (
        _is_learner(user, enrolment)
        or _is_tutor(user, enrolment)
        or has_role(user, enrolment.centre_id, Role.CENTRE_ADMIN)
        or has_role(user, enrolment.centre_id, Role.INTERNAL_MODERATOR)
    )


# ---------------------------------------------------------------- external moderators' grants


def current_grants(user) -> list:
    """The person's grants that have not ended or been revoked (read once, cached on the user).

    Whether each has started or ended is checked again at every use, so a grant ends by
    itself at its time even within a long-lived object.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _GRANTS_ATTR, None)
    if cached is None:
        from moderation.models import EqaGrant

        cached = list(
            EqaGrant.objects.filter(
                moderator=user, revoked_at__isnull=True, ends_at__gt=timezone.now()
            )
            .select_related("centre")
            .prefetch_related("enrolments", "units")
        )
        for grant in cached:
            grant.enrolment_ids = {e.pk for e in grant.enrolments.all()}
            grant.unit_ids = {u.pk for u in grant.units.all()}
        setattr(user, _GRANTS_ATTR, cached)
    return cached


def forget_grants(user) -> None:
    if hasattr(user, _GRANTS_ATTR):
        delattr(user, _GRANTS_ATTR)


def _enrolment_unit_ids(enrolment) -> set[int]:
    cached = getattr(enrolment, "_moderation_unit_ids", None)
    if cached is None:
        from portfolios.models import EnrolmentUnit

        cached = set(
            EnrolmentUnit.objects.filter(enrolment=enrolment).values_list("unit_id", flat=True)
        )
        enrolment._moderation_unit_ids = cached
    return cached


def grant_covers(grant, enrolment, unit=None) -> bool:
    if not grant.is_current() or grant.centre_id != enrolment.centre_id:
        return False
    if grant.enrolment_ids and enrolment.pk not in grant.enrolment_ids:
        return False
    if not grant.unit_ids:
        return True
    if unit is not None:
        return getattr(unit, "pk", unit) in grant.unit_ids
    return bool(grant.unit_ids & _enrolment_unit_ids(enrolment))


def eqa_grant_covers(user, enrolment, unit=None) -> bool:
    """An external moderator with a current grant of the enrolment's centre that opens it
    (and, when given, that unit of it). portfolios' `can_view_enrolment` asks this."""
    if not has_role(user, enrolment.centre_id, Role.EXTERNAL_MODERATOR):
        return False
    return any(grant_covers(g, enrolment, unit) for g in current_grants(user))


def eqa_grant_opens_whole(user, enrolment) -> bool:
    """A current grant that opens the whole portfolio (it names no units). A grant of some
    units opens only those units' records and the evidence mapped to them."""
    if not has_role(user, enrolment.centre_id, Role.EXTERNAL_MODERATOR):
        return False
    return any(grant_covers(g, enrolment) and not g.unit_ids for g in current_grants(user))


def eqa_grant_covers_evidence(user, evidence) -> bool:
    """Evidence mapped to at least one unit a current grant opens to this moderator."""
    enrolment = evidence.enrolment
    if not has_role(user, enrolment.centre_id, Role.EXTERNAL_MODERATOR):
        return False
    units = set(evidence.links.values_list("criterion__unit_id", flat=True))
    return any(grant_covers(g, enrolment, unit) for g in current_grants(user) for unit in units)


def eqa_grants_covering(user, enrolment, unit=None) -> list:
    if not has_role(user, enrolment.centre_id, Role.EXTERNAL_MODERATOR):
        return []
    return [g for g in current_grants(user) if grant_covers(g, enrolment, unit)]


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
    return enrolment.is_active and _is_tutor(user, enrolment)


def can_acknowledge(user, enrolment) -> bool:
    return _is_learner(user, enrolment)


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


def can_grant_eqa(user, centre) -> bool:
    return has_role(user, centre, Role.CENTRE_ADMIN)
