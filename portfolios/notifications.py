"""What the learner's tutor is told when evidence arrives."""

from collections import defaultdict
from collections.abc import Iterable

from django.urls import reverse

from accounts.enums import NotificationKind
from accounts.notifications import notify, refs


def notify_evidence_submitted(evidence) -> None:
    """The tutor hears of newly submitted evidence: one item, or a list (grouped per learner).

    `evidence_submit` calls this inside its transaction.
    """
    items = [evidence] if not isinstance(evidence, Iterable) else list(evidence)
    by_enrolment = defaultdict(list)
    for item in items:
        by_enrolment[item.enrolment_id].append(item)
    for group in by_enrolment.values():
        enrolment = group[0].enrolment
        count = len(group)
        notify(
            recipients=[enrolment.tutor],
            kind=NotificationKind.EVIDENCE_SUBMITTED,
            message=f"{enrolment.learner} submitted {count} evidence item"
            f"{'s' if count != 1 else ''} for assessment: {refs(group)}.",
            url=reverse("moderation:tutor_queue"),
        )
