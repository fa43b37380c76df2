"""Response headers every page gets (beyond Django's SecurityMiddleware and the CSP)."""

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers

# Homeroom uses none of these browser features; no page (or injected frame) may either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
    )
)


class SecurityHeadersMiddleware:
    """`Permissions-Policy` on every response; `Cache-Control: private, no-store` on every
    response to someone signed in (their pages, progress.csv, course.yaml, pairs.pdf …),
    so that neither a shared proxy nor the browser's disk keeps a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # (patch_cache_control drops a `public` that `private` contradicts.)
            patch_cache_control(response, private=True, no_store=True)
        return response


class SameOriginGZipMiddleware(GZipMiddleware):
    """Gzip pages, but only for requests the browser says came from Homeroom itself
    (`Sec-Fetch-Site: same-origin`) or from the person (`none`: typed, bookmarked, reloaded).

    Compressed pages that carry a secret (a CSRF token, the calendar link's token) and echo
    something an attacker chose would leak that secret through their sizes (BREACH): another
    site makes the victim's browser request the page many times, varying the echoed part, and
    watches the sizes on the network. Such requests are cross-site, so their answers stay
    uncompressed. Browsers do not let pages forge `Sec-Fetch-Site`; a browser that does not
    send it gets uncompressed pages. Django's random padding ("Heal the BREACH") stays on as
    well. Static files are compressed ahead of time by WhiteNoise (no secrets in them).
    """

    COMPRESSIBLE_ORIGINS = frozenset({"same-origin", "none"})

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.has_header("Content-Encoding"):
            return response
        patch_vary_headers(response, ("Sec-Fetch-Site",))
        if request.headers.get("Sec-Fetch-Site") not in self.COMPRESSIBLE_ORIGINS:
            return response
        return super().process_response(request, response)
