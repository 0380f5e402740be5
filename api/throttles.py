"""Rate limits, kept in Django's cache (`CACHES`: a file cache by default, shared by every
worker process of one machine; any shared cache for more than one machine)."""

from django.conf import settings
from ninja.throttling import AnonRateThrottle, AuthRateThrottle


class TokenThrottle(AuthRateThrottle):
    """Per token (the key is a hash of the token's prefix, never of its secret)."""

    def __init__(self):
        super().__init__(settings.API_RATE_TOKEN)


class AddressThrottle(AnonRateThrottle):
    """Per client address, for what is served without a token (the OpenAPI document)."""

    def __init__(self):
        super().__init__(settings.API_RATE_ANONYMOUS)
