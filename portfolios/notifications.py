"""What the learner's tutor is told when evidence arrives."""

from collections import defaultdict
from collections.abc import Iterable

from django.urls import reverse

from accounts.enums import NotificationKind
from accounts.notifications import Notice, clear, notify_each


def evidence_subject(evidence) -> str:
    """What a notice about an item is about: acting on the item clears it."""
    return f"evidence:{getattr(evidence, 'pk', evidence)}"


def notify_evidence_submitted(evidence) -> None:
    """The tutor hears of newly submitted evidence: a notice per item naming it and opening
    its assessment (deciding on the item clears it), one e-mail per learner's submission.

    `evidence_submit` calls this inside its transaction.
    """
    items = [evidence] if not isinstance(evidence, Iterable) else list(evidence)
    by_enrolment = defaultdict(list)
    for item in items:
        by_enrolment[item.enrolment_id].append(item)
    for group in by_enrolment.values():
        enrolment = group[0].enrolment
        notify_each(
            recipients=[enrolment.tutor],
            kind=NotificationKind.EVIDENCE_SUBMITTED,
            notices=[
                Notice(
                    f"{item.reference} {item.title} submitted by {enrolment.learner}",
                    reverse("moderation:evidence_assess", args=[item.pk]),
                    evidence_subject(item),
                )
                for item in group
            ],
        )


def clear_evidence_notices(items, *, recipient=None, kinds=()) -> int:
    """The notices about these items are acted on (`accounts.notifications.clear`)."""
    return clear(*(evidence_subject(i) for i in items), recipient=recipient, kinds=kinds)
