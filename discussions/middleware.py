"""The live session's poll skips the middleware that serves people's pages.

A poll carries its own signed address (discussions.live.poll_token): it reads no session,
no user, no CSRF token and no messages, and answers tiny JSON or 304. Two hundred phones
ask every two seconds, so it is answered here, right after Django's SecurityMiddleware
(which still adds its headers), without the rest of the stack; so is the same address's
stream of server-sent events, `<address>/events` (discussions.live_stream).
"""

from django.urls import reverse

from . import views


class LivePollMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = reverse("live_poll", args=["x"]).removesuffix("x")

    def __call__(self, request):
        path = request.path_info
        if request.method in ("GET", "HEAD") and path.startswith(self.prefix):
            token = path.removeprefix(self.prefix)
            if token and "/" not in token:
                return views.live_poll(request, token)
            token = token.removesuffix("/events")
            if token and "/" not in token:
                return views.live_events(request, token)
        return self.get_response(request)
