"""Reads of enrolments and evidence that depend on who is asking.

Every view reaches a learner's data through one of the `get_*_for_user` helpers: they answer
404 when the person has no link to the object (so its existence is not revealed) and 403 when
they may see it but not do what they asked.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.enums import Role
from accounts.models import User
from accounts.permissions import has_role
from audit.access import access_log_record
from audit.enums import AuditAction
from audit.models import AuditEntry
from portfolios import permissions
from portfolios.enums import TUTOR_METHOD_SLUGS, EnrolmentStatus
from portfolios.judgement import judge_item
from portfolios.models import (
    Enrolment,
    EnrolmentUnit,
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
)
from portfolios.progress import Portfolio, build_portfolio
from portfolios.record import (
    decisions_on,
    latest_decisions,
    locked_unit_ids,
    open_reopening_unit_ids,
    progress_for,
)
from portfolios.state import current_evidence_q
from portfolios.validators import PREVIEW_KINDS
from qualifications.models import (
    AssessmentCriterion,
    EvidenceMethod,
    LearningOutcome,
    QualificationUnit,
    Unit,
)
from qualifications.rules import CombinationCheck, check_unit_choice

ENROLMENT_ACTIONS = {
    "view": permissions.can_view_enrolment,
    "add_evidence": permissions.can_add_evidence,
    "submit": permissions.can_submit_for_enrolment,
    "manage": permissions.can_manage_enrolment,
}

EVIDENCE_ACTIONS = {
    "view": permissions.can_view_evidence,
    "edit": permissions.can_edit_evidence,
    "delete": permissions.can_delete_evidence,
    "submit": permissions.can_submit_evidence,
    "correct": permissions.can_correct_evidence,
}

ACTION_REFUSALS = {
    "add_evidence": "Only the learner and their tutor add evidence, while the enrolment runs.",
    "submit": "Only the learner submits their evidence.",
    "manage": "Only the centre's admins change enrolments.",
    "edit": "Only whoever recorded this evidence may change it, and only before it is submitted.",
    "delete": "This evidence cannot be deleted: it is submitted, assessed, or not yours.",
    "correct": "Only the author of submitted evidence may correct it.",
}


def log_if_granted(user, enrolment, what: str, object_id: int | None) -> None:
    """An external moderator's every opening of a learner's record is logged, here in the
    access helpers, so no page, file or PDF escapes the log whatever its URL is called."""
    if permissions.opened_by_grant(user, enrolment):
        access_log_record(user=user, what=what, object_id=object_id, enrolment_id=enrolment.pk)


def _check(user, obj, action, actions, visible) -> None:
    if obj is None or not visible(user, obj):
        raise Http404("No such item, or nothing you have access to.")
    if not actions[action](user, obj):
        raise PermissionDenied(ACTION_REFUSALS.get(action, "Not allowed."))


def get_enrolment_for_user(user, pk: int, *, action: str = "view") -> Enrolment:
    enrolment = (
        Enrolment.objects.select_related(
            "centre", "learner", "tutor", "qualification", "imported_from"
        )
        .filter(pk=pk)
        .first()
    )
    _check(user, enrolment, action, ENROLMENT_ACTIONS, permissions.can_view_enrolment)
    log_if_granted(user, enrolment, "enrolment", enrolment.pk)
    return enrolment


def get_evidence_for_user(user, pk: int, *, action: str = "view") -> Evidence:
    evidence = (
        Evidence.objects.select_related(
            "enrolment__centre",
            "enrolment__learner",
            "enrolment__tutor",
            "enrolment__qualification",
            "method",
            "created_by",
            "submitted_by",
            "supersedes",
        )
        .filter(pk=pk)
        .first()
    )
    _check(user, evidence, action, EVIDENCE_ACTIONS, permissions.can_view_evidence)
    log_if_granted(user, evidence.enrolment, "evidence", evidence.pk)
    return evidence


def get_evidence_file_for_user(user, pk: int, *, action: str = "view") -> EvidenceFile:
    evidence_file = EvidenceFile.objects.select_related("evidence__enrolment").filter(pk=pk).first()
    if evidence_file is None or not permissions.can_view_evidence(user, evidence_file.evidence):
        raise Http404("No such file, or nothing you have access to.")
    if action != "view" and not EVIDENCE_ACTIONS[action](user, evidence_file.evidence):
        raise PermissionDenied(ACTION_REFUSALS.get(action, "Not allowed."))
    log_if_granted(user, evidence_file.evidence.enrolment, "evidence file", evidence_file.pk)
    return evidence_file


def get_correctable_evidence(user, enrolment, pk: int) -> Evidence:
    """A submitted item of this enrolment that the person may correct and that has no
    correction yet (404 when it is not of this portfolio; 403 when it may not be corrected)."""
    evidence = get_evidence_for_user(user, pk, action="correct")
    if evidence.enrolment_id != enrolment.pk:
        raise Http404("No such evidence in this portfolio.")
    if superseding(evidence) is not None:
        raise PermissionDenied(f"{evidence.reference} has already been corrected.")
    return evidence


def _count(queryset, *, per: str, distinct: str = "pk"):
    """A correlated COUNT subquery, so several counts never multiply each other's joins."""
    counted = queryset.order_by().values(per).annotate(n=Count(distinct, distinct=True)).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_evidence_counts(enrolments):
    mine = Evidence.objects.filter(enrolment=OuterRef("pk"))
    return enrolments.annotate(
        evidence_count=_count(mine, per="enrolment"),
        draft_count=_count(mine.drafts(), per="enrolment"),
        awaiting_count=_count(mine.awaiting_assessment(), per="enrolment"),
    )


def enrolments_visible_to(user, centre):
    """The centre's enrolments this person may open: all for admins and internal moderators,
    their own learners for a tutor, their own for a learner."""
    if has_role(user, centre, Role.CENTRE_ADMIN) or has_role(user, centre, Role.INTERNAL_MODERATOR):
        scope = Q()
    else:
        scope = Q(pk__in=[])
        if has_role(user, centre, Role.TUTOR):
            scope |= Q(tutor=user)
        if has_role(user, centre, Role.LEARNER):
            scope |= Q(learner=user)
    return with_evidence_counts(
        Enrolment.objects.filter(scope, centre=centre).for_listing()
    ).order_by("learner__last_name", "learner__first_name", "-start_date", "-pk")


def learner_enrolments(user, centre) -> list[Enrolment]:
    """A learner's own enrolments at a centre, with counts and `progress` (the one measure,
    `record.progress_for`: met / evidenced / to do) for their dashboard. Five queries."""
    enrolments = list(
        with_evidence_counts(
            Enrolment.objects.filter(centre=centre, learner=user).for_listing()
        ).order_by("-start_date", "-pk")
    )
    progress = progress_for(enrolments)
    for enrolment in enrolments:
        enrolment.progress = progress[enrolment.pk]
    return enrolments


def centre_overview(centre, *, recent: int = 8) -> dict:
    """What a centre admin's dashboard shows of enrolments (two queries, at any size)."""
    enrolments = Enrolment.objects.filter(centre=centre)
    counts = enrolments.aggregate(
        active_enrolments=Count("pk", filter=Q(status=EnrolmentStatus.ACTIVE), distinct=True),
        awaiting_assessment=Count(
            "evidence",
            filter=current_evidence_q("evidence__") & Q(evidence__assessed_at__isnull=True),
        ),
    )
    return {
        **counts,
        "recent_enrolments": list(
            with_evidence_counts(enrolments.for_listing()).order_by("-created_at", "-pk")[:recent]
        ),
    }


def people_at(centre, role):
    return User.objects.filter(
        memberships__centre=centre, memberships__role=role, memberships__is_active=True
    ).order_by("last_name", "first_name", "username")


def enrolment_units(enrolment) -> list:
    """The units the enrolment takes now (not the withdrawn ones) in order, each with
    `is_mandatory` (one query)."""
    mandatory = QualificationUnit.objects.filter(
        qualification_id=enrolment.qualification_id,
        unit_id=OuterRef("unit_id"),
        group__is_mandatory=True,
    )
    rows = (
        EnrolmentUnit.objects.current()
        .filter(enrolment=enrolment)
        .select_related("unit")
        .annotate(is_mandatory=Exists(mandatory))
        .order_by("position", "pk")
    )
    units = []
    for row in rows:
        row.unit.is_mandatory = row.is_mandatory
        units.append(row.unit)
    return units


def combination_for(enrolment, *, units=None) -> CombinationCheck | None:
    """Whether the enrolment's units fit the rules of its qualification version ("on track"),
    with what is missing; None for a short course. Withdrawn units count, as they do when
    the units are chosen (they come back only by being restored). `units`: all of them
    (taken and withdrawn) when the caller has them already."""
    if enrolment.qualification_id is None:
        return None
    if units is None:
        rows = EnrolmentUnit.objects.filter(enrolment=enrolment).select_related("unit")
        units = [row.unit for row in rows]
    return check_unit_choice(enrolment.qualification, units)


def withdrawn_units(enrolment) -> list[EnrolmentUnit]:
    """The enrolment's withdrawn units, with who withdrew them, when and why (one query).
    Their evidence and decisions stay in the record; they can be restored."""
    return list(
        EnrolmentUnit.objects.withdrawn()
        .filter(enrolment=enrolment)
        .select_related("unit", "withdrawn_by")
        .order_by("position", "pk")
    )


def enrolment_unit_for_manager(user, pk: int, unit_pk: int) -> tuple[Enrolment, EnrolmentUnit]:
    """An enrolment the person manages and one of its units (taken or withdrawn): 404 when
    the person has no link to the enrolment or the unit is not one of its units, 403 when
    they may see it but not change it."""
    enrolment = get_enrolment_for_user(user, pk, action="manage")
    row = (
        EnrolmentUnit.objects.filter(enrolment=enrolment, unit_id=unit_pk)
        .select_related("unit", "withdrawn_by")
        .first()
    )
    if row is None:
        raise Http404("No such unit in this enrolment.")
    return enrolment, row


# What the enrolment's own history lists: its creation, changes and its units' comings and
# goings. Decisions and sign-offs have their own history on the assessment record.
HISTORY_ACTIONS = (
    AuditAction.ENROLMENT_CREATED,
    AuditAction.ENROLMENT_CHANGED,
    AuditAction.UNIT_ADDED,
    AuditAction.UNIT_REMOVED,
    AuditAction.UNIT_WITHDRAWN,
    AuditAction.UNIT_RESTORED,
    AuditAction.VERSION_MOVED,
)


def enrolment_history(enrolment) -> list[AuditEntry]:
    """The audit trail's entries about the enrolment and its units, newest first (one query)."""
    return list(
        AuditEntry.objects.for_enrolment(enrolment.pk)
        .filter(action__in=HISTORY_ACTIONS)
        .order_by("-seq")
    )


def outcomes_and_criteria(unit_ids) -> tuple[list, list]:
    outcomes = list(
        LearningOutcome.objects.filter(unit_id__in=unit_ids).order_by("unit_id", "sort_key")
    )
    criteria = list(
        AssessmentCriterion.objects.filter(unit_id__in=unit_ids).order_by("unit_id", "sort_key")
    )
    return outcomes, criteria


def portfolio_for(enrolment, *, drafts: bool = True) -> Portfolio:
    """Everything the portfolio page shows, from a fixed number of queries; without the
    learner's drafts for someone who may not see them (`permissions.sees_drafts`)."""
    units = enrolment_units(enrolment)
    unit_ids = [u.pk for u in units]
    outcomes, criteria = outcomes_and_criteria(unit_ids)
    shown = Evidence.objects.filter(enrolment=enrolment)
    if not drafts:
        shown = shown.submitted()
    evidence = list(
        shown.only("pk", "reference", "title", "submitted_at", "assessed_at", "supersedes_id")
        .with_state()
        .order_by("number")
    )
    links = EvidenceCriterion.objects.filter(evidence__in=shown).values_list(
        "evidence_id", "criterion_id"
    )
    return build_portfolio(
        units=units,
        mandatory_unit_ids={u.pk for u in units if u.is_mandatory},
        outcomes=outcomes,
        criteria=criteria,
        evidence=evidence,
        links=links,
        decisions=latest_decisions(enrolment),
        scheme=enrolment.qualification.grading if enrolment.qualification_id else None,
    )


def drafts_of(enrolment, *, only=None):
    """The enrolment's drafts (or just `only`), with counts, for the submission form."""
    drafts = Evidence.objects.drafts().filter(enrolment=enrolment).with_counts()
    if only is not None:
        drafts = drafts.filter(pk=only.pk)
    return drafts.order_by("number")


def evidence_for_enrolment(enrolment, *, drafts: bool = True):
    """The enrolment's evidence for its list, with file and criterion counts (one query);
    without drafts for someone who may not see them."""
    shown = Evidence.objects.filter(enrolment=enrolment)
    return (
        (shown if drafts else shown.submitted())
        .select_related("method", "created_by")
        .with_counts()
        .with_state()
        .order_by("number")
    )


def evidence_methods_for(user, enrolment):
    """The methods this person may record for the enrolment.

    The units' accepted methods when they list any; a unit that lists none accepts every
    method, and so then does the enrolment (evidence may cover several units). A tutor only
    records what they observed or heard.
    """
    units = Unit.objects.filter(enrolment_units__enrolment=enrolment)
    if units.filter(evidence_methods__isnull=True).exists():
        methods = EvidenceMethod.objects.all()
    else:
        methods = EvidenceMethod.objects.filter(units__in=units).distinct()
    if not permissions.is_enrolment_learner(user, enrolment):
        methods = methods.filter(slug__in=TUTOR_METHOD_SLUGS)
    return methods.order_by("position", "name")


def mapped_criteria(user, evidence) -> list:
    """The criteria an item is mapped to that this person may see (an external moderator with
    a unit-only grant sees only those units' criteria), with their units, in display order."""
    criteria = AssessmentCriterion.objects.filter(evidence_links__evidence=evidence)
    unit_ids = permissions.granted_unit_ids(user, evidence.enrolment)
    if unit_ids is not None:
        criteria = criteria.filter(unit_id__in=unit_ids)
    return list(
        criteria.select_related("unit", "outcome").order_by("unit__code", "unit_id", "sort_key")
    )


def mapping_picker(evidence) -> Portfolio:
    """The item's portfolio as the mapping picker shows it: every unit, outcome and criterion
    (with guidance) with its status and how many other items cover it; each unit marked
    `locked` (signed off: no new ticks), `ticked` (how many of its criteria this item covers)."""
    picker = portfolio_for(evidence.enrolment)
    locked = locked_unit_ids(evidence.enrolment)
    linked = set(evidence.links.values_list("criterion_id", flat=True))
    for row in picker.units:
        row.locked = row.unit.pk in locked
        row.ticked = 0
        row.evidenced_not_met = row.tally.with_evidence - row.tally.met
        row.to_do = row.tally.total - row.tally.with_evidence
        for outcome in row.outcomes:
            for line in outcome.criteria:
                line.others = sum(ref.id != evidence.pk for ref in line.evidence)
                row.ticked += line.criterion.pk in linked
    return picker


def files_of(evidence) -> list:
    """The item's files, each with `preview_kind` (how the page may show it, if at all)."""
    files = list(evidence.files.all())
    for f in files:
        f.preview_kind = PREVIEW_KINDS.get(f.content_type)
    return files


def evidence_page(user, evidence) -> dict:
    """What an item's page shows this person, and what they may do with it: each criterion
    it covers with its standing outcome, the tutor's feedback, date and name, and whether the
    learner has something to do. The same queries for one criterion or thirty."""
    superseded_by = superseding(evidence)
    criteria = mapped_criteria(user, evidence)
    item_state = evidence.state
    judgement = judge_item(
        criteria=criteria,
        state=item_state,
        decisions=decisions_on(evidence.enrolment, [c.pk for c in criteria]),
        referred_unit_ids=open_reopening_unit_ids(
            evidence.enrolment, {c.unit_id for c in criteria}
        ),
    )
    return {
        "evidence": evidence,
        "enrolment": evidence.enrolment,
        "state": item_state,
        "files": files_of(evidence),
        "criteria": criteria,
        "judgement": judgement,
        # Learners see their work, not the record's machinery (file hashes, MIME types).
        "is_learner": permissions.is_enrolment_learner(user, evidence.enrolment),
        "superseded_by": superseded_by,
        "can_edit": permissions.can_edit_evidence(user, evidence),
        "can_delete": permissions.can_delete_evidence(user, evidence),
        "can_submit": permissions.can_submit_evidence(user, evidence),
        "can_correct": permissions.can_correct_evidence(user, evidence) and superseded_by is None,
        "can_add": permissions.can_add_evidence(user, evidence.enrolment),
    }


def superseding(evidence):
    """The correction of an item, submitted or still in draft."""
    return Evidence.objects.filter(supersedes=evidence).only("pk", "reference", "title").first()
