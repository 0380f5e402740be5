from urllib.parse import urlencode

from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject

from accounts.selectors import active_membership


class ActiveRoleMiddleware:
    """Puts the role the person is acting in on `request.active_membership` (read lazily)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.active_membership = SimpleLazyObject(lambda: active_membership(request))
        return self.get_response(request)


class NoStoreWhenSignedInMiddleware:
    """Tells browsers and proxies not to keep what a signed-in person was sent.

    Pages, PDFs and exports of a signed-in person hold learners' records; on a shared computer
    the browser's cache or back button would show them to the next person. Static files never
    get here (WhiteNoise answers them earlier), so they stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class SecondFactorMiddleware:
    """Until a session has passed the second factor (or a person whose centre requires one has
    set it up), every page but that one step and signing out sends them there: not even the
    person's own two-factor pages, or a password alone could make new recovery codes. The step
    is read from the session (`accounts.twofactor.SESSION_KEY`), worked out once at sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from accounts import twofactor

        step = request.session.get(twofactor.SESSION_KEY) if hasattr(request, "session") else None
        if step and request.user.is_authenticated:
            target = reverse(
                "two_factor_verify" if step == twofactor.VERIFY else "two_factor_enrol"
            )
            if request.path != target and not _open_during_sign_in(request.path):
                if request.headers.get("HX-Request"):
                    # A fragment (the notification badge) gets nothing, not the sign-in step.
                    return HttpResponseForbidden()
                if request.method == "GET":
                    target += "?" + urlencode({"next": request.get_full_path()})
                return redirect(target)
        return self.get_response(request)


def _open_during_sign_in(path: str) -> bool:
    # The API reads no session: a token is its own sign-in, made only in a finished one.
    return path.startswith((reverse("logout"), "/healthz", "/static/", "/api/"))
