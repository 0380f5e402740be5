"""What the learner's record means. Every screen, export, PDF and service reads it from here.

Each state is defined once, as a queryset method (the models' querysets inherit these) or as
a pure function over plain values (for pages that fetch rows once and work in Python):

Evidence
- *draft*: not yet submitted with the learner's declaration.
- *superseded*: a correction of it has been **submitted**. A correction still in draft does
  not supersede: until the learner submits it, the original stands, the tutor may decide on
  it, and the checklists print it.
- *current*: submitted and not superseded. Only current evidence is assessed, counted and
  printed.

Decisions (a tutor's judgement of one criterion)
- *latest*: the newest of its criterion (nothing supersedes it).
- *reopened*: latest, but an open referral (a `Reopening` without a closure) reopened it; it
  counts as not yet met until the tutor decides again.
- *standing*: latest and not reopened. *Met*: standing and its outcome is met.

Imported (arrived with a portfolio from another installation or centre, `PortfolioImport`)
- An imported evidence item, decision or sign-off is kept exactly as it came, with its
  provenance: never changed, re-mapped or deleted here, not even a draft (the learner may
  submit it as it is, or add a new item or a correction). Imported decisions and sign-offs
  count like any other (met, standing, locked), so the learner carries on where they left off.

Sign-offs
- *referred*: an open referral reopened it. *Standing*: latest and not referred.
- A unit is *locked* while it has a standing sign-off: nothing is mapped to it, nothing in it
  is decided, and a draft mapped to it cannot be submitted.

This module imports no model: it is below them (the querysets find related models through
their own fields), so nothing that reads the record needs to reach up for its meaning.
"""

from collections.abc import Iterable, Mapping

from django.db import models
from django.db.models import Exists, OuterRef, Q

from portfolios.enums import CriterionStatus, DecisionOutcome, EvidenceState

# ---------------------------------------------------------------- evidence


def current_evidence_q(prefix: str = "") -> Q:
    """Current evidence, as a filter from a model that reaches it through `prefix`
    ("evidence__" from a mapping)."""
    return Q(**{f"{prefix}submitted_at__isnull": False}) & (
        Q(**{f"{prefix}superseded_by__isnull": True})
        | Q(**{f"{prefix}superseded_by__submitted_at__isnull": True})
    )


def superseded_evidence_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}superseded_by__submitted_at__isnull": False})


def evidence_state(*, submitted: bool, assessed: bool, superseded: bool) -> EvidenceState:
    """An item's state; `superseded` means a *submitted* correction exists."""
    if superseded:
        return EvidenceState.SUPERSEDED
    if assessed:
        return EvidenceState.ASSESSED
    if submitted:
        return EvidenceState.SUBMITTED
    return EvidenceState.DRAFT


class EvidenceStateQuerySet(models.QuerySet):
    def drafts(self):
        return self.filter(submitted_at__isnull=True)

    def submitted(self):
        return self.filter(submitted_at__isnull=False)

    def current(self):
        return self.filter(current_evidence_q())

    def superseded(self):
        return self.filter(superseded_evidence_q())

    def awaiting_assessment(self):
        return self.current().filter(assessed_at__isnull=True)

    def with_state(self):
        """`is_superseded` on each row, for `state_of`."""
        return self.annotate(
            is_superseded=models.ExpressionWrapper(
                superseded_evidence_q(), output_field=models.BooleanField()
            )
        )


def state_of(evidence) -> EvidenceState:
    """The state of an item fetched with `with_state()` (or of any item, one query more)."""
    superseded = getattr(evidence, "is_superseded", None)
    if superseded is None:
        superseded = type(evidence).objects.filter(pk=evidence.pk).superseded().exists()
    return evidence_state(
        submitted=evidence.submitted_at is not None,
        assessed=evidence.assessed_at is not None,
        superseded=bool(superseded),
    )


# ---------------------------------------------------------------- decisions


def _open_reopening_links(model, field: str):
    """The open reopenings pointing at the outer row through `field` of `model`'s relation."""
    related = model._meta.get_field(field).related_model
    target = model._meta.get_field(field).field.name
    # A ReopenedCriterion reaches its reopening by `reopening`; a Reopening is itself one.
    prefix = "" if related._meta.model_name == "reopening" else "reopening__"
    return related.objects.filter(**{target: OuterRef("pk"), f"{prefix}closure__isnull": True})


class DecisionStateQuerySet(models.QuerySet):
    def latest(self):
        return self.filter(superseded_by__isnull=True)

    def with_reopened(self):
        """`reopened` on each row: an open referral reopened it."""
        return self.annotate(reopened=Exists(_open_reopening_links(self.model, "reopened_links")))

    def standing(self):
        return self.latest().with_reopened().filter(reopened=False)

    def met(self):
        return self.standing().filter(outcome=DecisionOutcome.MET)


def effective_outcome(outcome: str | None, *, reopened: bool) -> str | None:
    """A latest decision's outcome as the record counts it: a reopened one is not yet met."""
    if outcome is None:
        return None
    return DecisionOutcome.NOT_YET_MET.value if reopened else outcome


def is_met(outcome: str | None, *, reopened: bool = False) -> bool:
    return effective_outcome(outcome, reopened=reopened) == DecisionOutcome.MET


def met_criterion_ids(decisions: Mapping[int, str | None]) -> set[int]:
    """The met criteria among {criterion_id: effective outcome} (`effective_outcome`, as
    `record.latest_decisions` gives them): the same set as the `met()` queryset's."""
    return {criterion_id for criterion_id, outcome in decisions.items() if is_met(outcome)}


# ---------------------------------------------------------------- sign-offs and locks


class SignOffStateQuerySet(models.QuerySet):
    def latest(self):
        return self.filter(superseded_by__isnull=True)

    def with_referral(self):
        """`is_referred` on each row: an open referral reopened it, so it no longer locks."""
        return self.annotate(is_referred=Exists(_open_reopening_links(self.model, "reopenings")))

    def standing(self):
        return self.latest().with_referral().filter(is_referred=False)

    def locking(self, enrolment, unit_ids: Iterable[int] | None = None):
        rows = self.standing().filter(enrolment=enrolment)
        return rows if unit_ids is None else rows.filter(unit_id__in=list(unit_ids))


def locked_unit_ids(sign_offs, enrolment, unit_ids: Iterable[int] | None = None) -> set[int]:
    """Units of the enrolment that a standing sign-off locks (`sign_offs`: the model's
    manager, so this module needs no import of it). One query."""
    return set(sign_offs.locking(enrolment, unit_ids).values_list("unit_id", flat=True))


# ---------------------------------------------------------------- a criterion's status


def criterion_status(
    *, decision: str | None, evidence_states: Iterable[EvidenceState]
) -> CriterionStatus:
    """One criterion's status.

    `decision`: the effective outcome of its latest decision (`effective_outcome`), or None.
    The decision wins; without one, the furthest state of its current evidence.
    """
    if decision == DecisionOutcome.MET:
        return CriterionStatus.MET
    if decision == DecisionOutcome.NOT_YET_MET:
        return CriterionStatus.NOT_YET_MET
    states = {s for s in evidence_states if s != EvidenceState.SUPERSEDED}
    if states & {EvidenceState.SUBMITTED, EvidenceState.ASSESSED}:
        return CriterionStatus.SUBMITTED
    if states:
        return CriterionStatus.LINKED
    return CriterionStatus.NO_EVIDENCE


# ---------------------------------------------------------------- imported record


def is_imported(row) -> bool:
    """The row (evidence, decision or sign-off) arrived with an imported portfolio: it is read
    only, whatever its state."""
    return getattr(row, "imported_from_id", None) is not None
