"""Rate limits, kept in Django's cache (`CACHES`: a file cache by default, shared by every
worker process of one machine; any shared cache for more than one machine)."""

from django.conf import settings
from ninja.throttling import AnonRateThrottle, AuthRateThrottle


class _FromSettings:
    """The rate is read from the settings at each request, not once at start-up."""

    setting = ""

    def __init__(self):
        super().__init__(getattr(settings, self.setting))

    def allow_request(self, request) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class TokenThrottle(_FromSettings, AuthRateThrottle):
    """Per token (the key is a hash of the token's prefix, never of its secret)."""

    setting = "API_RATE_TOKEN"


class AddressThrottle(_FromSettings, AnonRateThrottle):
    """Per client address, for what is served without a token (the OpenAPI document)."""

    setting = "API_RATE_ANONYMOUS"
