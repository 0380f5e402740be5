"""Moves between versions of a qualification: which learner moved, when, by whom, and what
became of each criterion they had work on.

Append-only like the decisions: a move is history. What was carried is a new decision
(`CriterionDecision.carried_from`) and new evidence mappings on the new version's criteria;
the old version's rows are never touched. A `MovedCriterion` whose criterion did not carry is
a flag for the tutor until a decision on the new criterion exists (`portfolios.moves`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.models import AppendOnlyModel
from portfolios.enums import ChangeKind
from portfolios.models.assessment import CriterionDecision
from portfolios.models.enrolment import Enrolment
from qualifications.models import AssessmentCriterion, Qualification, Unit


class VersionMove(AppendOnlyModel):
    """A learner moved from one version of their qualification to another by a centre admin."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="moves")
    # Blank for a short course (an enrolment on one unit, with no qualification).
    from_qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Blank: moved from the site's own command line.
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moved_at = models.DateTimeField(default=timezone.now, editable=False)
    # {"carried": n, "flagged": n, "units_moved": [...], "units_kept": [{unit, reason}], ...}
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "move between versions"
        verbose_name_plural = "moves between versions"
        ordering = ["enrolment", "moved_at", "pk"]

    def __str__(self):
        return f"{self.enrolment_id} moved {self.moved_at:%d %b %Y}"

    @property
    def carried(self) -> int:
        return int(self.summary.get("carried", 0))

    @property
    def flagged(self) -> int:
        return int(self.summary.get("flagged", 0))


class MovedCriterion(AppendOnlyModel):
    """One criterion the learner had work on, and what the move did with it."""

    move = models.ForeignKey(VersionMove, on_delete=models.PROTECT, related_name="criteria")
    from_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    old_criterion = models.ForeignKey(
        AssessmentCriterion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    new_criterion = models.ForeignKey(
        AssessmentCriterion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    old_decision = models.ForeignKey(
        CriterionDecision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    carried_decision = models.ForeignKey(
        CriterionDecision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "criterion of a move"
        verbose_name_plural = "criteria of moves"
        ordering = ["move", "pk"]

    def __str__(self):
        return f"{self.move_id}: {self.kind}"

    @property
    def is_flag(self) -> bool:
        """Not carried: the tutor decides the new criterion again (unless a decision on it
        existed already: `portfolios.moves.open_flags` reads that)."""
        return self.kind in (ChangeKind.REWORDED, ChangeKind.REMOVED) or (
            self.old_decision_id is not None and self.carried_decision_id is None
        )
