from django.utils.functional import SimpleLazyObject

from accounts.selectors import active_membership


class ActiveRoleMiddleware:
    """Puts the role the person is acting in on `request.active_membership` (read lazily)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.active_membership = SimpleLazyObject(lambda: active_membership(request))
        return self.get_response(request)
