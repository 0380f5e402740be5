"""Who may do what with enrolments and evidence.

Roles are held per centre (accounts.permissions), and a role alone is never enough: a learner
reaches only their own enrolments and a tutor only the learners assigned to them. Internal
moderators of the centre may read every enrolment there; external moderators reach nothing
only through a centre's current grant (`EqaGrant`): of whole portfolios, or of some units.
"""

from django.utils import timezone

from accounts.enums import Role
from accounts.permissions import has_role
from portfolios import state
from portfolios.models import EnrolmentUnit, EqaGrant


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


def can_view_evidence(user, evidence) -> bool:
    """A draft is the learner's own until submitted: the centre's people who see the whole
    portfolio may see it, an external moderator never does."""
    if evidence.submitted_at is None:
        return sees_whole_enrolment(user, evidence.enrolment)
    return can_view_enrolment(user, evidence.enrolment) or eqa_grant_covers_evidence(user, evidence)


def sees_drafts(user, enrolment) -> bool:
    return sees_whole_enrolment(user, enrolment)


def can_edit_evidence(user, evidence) -> bool:
    """Whoever recorded an item may change it until it is submitted; no one may after. An
    item that arrived with an imported portfolio is kept as it came (`state.is_imported`)."""
    return (
        evidence.submitted_at is None
        and not state.is_imported(evidence)
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
        # Submitted by no account: a witness's testimony, given through its one-time link.
        # No one rewrites a witness's words; the tutor asks the witness again instead.
        and evidence.submitted_by_id is not None
        and can_add_evidence(user, evidence.enrolment)
    )


# ---------------------------------------------------------------- external moderators' grants

_GRANTS_ATTR = "_portal_eqa_grants"


def sees_whole_enrolment(user, enrolment) -> bool:
    """Everyone the portfolio app lets in by role (the same four as its `can_view_enrolment`),
    as opposed to an external moderator, whose grant may open only some units."""
    return (
        is_enrolment_learner(user, enrolment)
        or is_enrolment_tutor(user, enrolment)
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
        cached = set(
            EnrolmentUnit.objects.current()
            .filter(enrolment=enrolment)
            .values_list("unit_id", flat=True)
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


def granted_unit_ids(user, enrolment) -> set[int] | None:
    """The units of the enrolment this person may see: None for all of them (everyone who
    sees it by role, or a grant that names no units), else the units their grants name."""
    if sees_whole_enrolment(user, enrolment):
        return None
    units = set()
    for grant in eqa_grants_covering(user, enrolment):
        if not grant.unit_ids:
            return None
        units |= grant.unit_ids
    return units


def opened_by_grant(user, enrolment) -> bool:
    """The person reaches this enrolment only through an external moderator's grant: what
    they open of it is logged (`audit.access`)."""
    return not sees_whole_enrolment(user, enrolment) and has_role(
        user, enrolment.centre_id, Role.EXTERNAL_MODERATOR
    )


# ---------------------------------------------------------------- evidence methods as records


def can_record_method(user, enrolment) -> bool:
    """Observations, professional discussions and witness requests: the learner's own tutor
    (their assessor), while the enrolment runs. A learner does not choose their own witness:
    the assessor must be able to vouch that the witness is who they say they are."""
    return enrolment.is_active and is_enrolment_tutor(user, enrolment)


def can_verify_workplace(user, evidence) -> bool:
    """The tutor says they have seen workplace evidence where it is kept, once, on an item
    that still counts (not superseded by a submitted correction)."""
    return can_record_method(user, evidence.enrolment)
