"""The API: one NinjaAPI under /api/, its errors, and its OpenAPI document at /api/schema/.

Errors answer JSON `{"detail": …, "errors": […]}`: 401 no or bad token, 403 a link but not
the right (or a read-only token writing), 404 no link (existence not revealed), 400 refused
by the record's rules (nothing saved), 409 someone decided meanwhile, 422 malformed input,
429 over the rate limit. No HTML documentation page: Swagger UI would load from a CDN, which
the Content-Security-Policy forbids; the document is for any OpenAPI tool.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as InputError

from api import assessment, catalogue, enrolments, evidence, exports
from api.auth import TokenAuth
from api.throttles import AddressThrottle, TokenThrottle
from moderation.services import StaleDecision

api = NinjaAPI(
    title="Portfolio API",
    version="1",
    description="The e-portfolio's record for scripts and other systems: the catalogue, "
    "enrolments with progress, evidence, decisions and sign-offs, and the progress export. "
    "A personal access token acts as its owner and sees exactly what they see on the pages. "
    "See docs/api.md.",
    auth=TokenAuth(),
    throttle=[TokenThrottle()],
    urls_namespace="api",
    openapi_url=None,
    docs_url=None,
)
api.add_router("/catalogue", catalogue.router)
api.add_router("", enrolments.router)
api.add_router("", evidence.router)
api.add_router("", assessment.router)
api.add_router("", exports.router)


def _error(request, detail: str, status: int, errors=None):
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, "Not found, or nothing you have access to.", 404)


@api.exception_handler(PermissionDenied)
def _denied(request, exc):
    return _error(request, str(exc) or "Not allowed.", 403)


@api.exception_handler(StaleDecision)
def _stale(request, exc):
    return _error(request, "Someone decided meanwhile; nothing was saved.", 409, exc.messages)


@api.exception_handler(ValidationError)
def _refused(request, exc):
    if isinstance(exc, StaleDecision):
        return _stale(request, exc)
    return _error(request, " ".join(exc.messages), 400, exc.messages)


@api.exception_handler(InputError)
def _malformed(request, exc):
    errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors]
    return _error(request, "The request is not valid.", 422, errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = _error(request, "A valid, unexpired API token is needed.", 401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Throttled)
def _throttled(request, exc):
    response = _error(request, "Too many requests; wait and try again.", 429)
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    return response


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return _error(request, str(exc), exc.status_code)


_schema_throttle = AddressThrottle()


@require_GET
@never_cache
def schema_view(request):
    """The OpenAPI 3 document, readable without signing in (rate limited per address)."""
    if not _schema_throttle.allow_request(request):
        wait = _schema_throttle.wait()
        response = JsonResponse({"detail": "Too many requests; wait and try again."}, status=429)
        if wait:
            response["Retry-After"] = str(int(wait))
        return response
    return JsonResponse(api.get_openapi_schema(path_prefix="/api"), json_dumps_params={"indent": 1})
