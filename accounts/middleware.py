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
