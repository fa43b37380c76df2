"""Response headers every page gets (beyond Django's SecurityMiddleware and the CSP)."""

from django.utils.cache import patch_cache_control

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
