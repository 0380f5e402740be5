"""The request being served, for entries written deep inside services and access helpers.

A middleware sets it for the length of one request; outside a request (commands, the task
worker) it is empty.
"""

import contextvars
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestInfo:
    method: str
    path: str
    address: str
    # What the access log has recorded during this request, so a page that fetches an
    # enrolment and then one of its units is logged once.
    logged: set = field(default_factory=set)


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar(
    "audit_request", default=None
)


def current_request() -> RequestInfo | None:
    return _current.get()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(
            RequestInfo(
                method=request.method,
                path=request.get_full_path()[:500],
                address=request.META.get("REMOTE_ADDR", ""),
            )
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
