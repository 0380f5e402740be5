"""The log of what external moderators open: written by the access helpers that hand them a
learner's record, so every page, file and PDF is logged whatever its URL is called."""

from audit.context import current_request
from audit.models import AccessLogEntry


def access_log_record(*, user, what: str, object_id: int | None, enrolment_id: int | None):
    request = current_request()
    if request is not None:
        if enrolment_id in request.logged:
            return None
        request.logged.add(enrolment_id)
    return AccessLogEntry.objects.create(
        user=user,
        method=request.method if request else "",
        path=request.path if request else "",
        what=what,
        object_id=object_id,
        enrolment_id=enrolment_id,
    )
