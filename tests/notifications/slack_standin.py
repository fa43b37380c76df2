"""A local HTTP server that plays Slack's incoming-webhook endpoint.

Answers are scripted in order (`answer(...)`); once the script runs out it answers 200 "ok",
as Slack does. Every request is kept in `requests` (path, headers, JSON body), and `arrived`
is set as soon as one is; HANG holds its answer until the test sets `release`.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK = (200, "ok", {})
NO_SERVICE = (404, "no_service", {})
CHANNEL_ARCHIVED = (410, "channel_is_archived", {})
FORBIDDEN = (403, "action_prohibited", {})
SERVER_ERROR = (500, "internal_error", {})
INVALID_PAYLOAD = (400, "invalid_payload", {})
HANG = "hang"  # answer 200 once `release` is set (or after 30 s)
TRICKLE = "trickle"  # promise 100 bytes, then send one every half second


def redirect(location):
    return (302, "", {"Location": location})


def rate_limited(retry_after):
    return (429, "rate_limited", {"Retry-After": str(retry_after)})


class SlackStandIn:
    def __init__(self):
        self.requests = []
        self.script = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.arrived = threading.Event()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with standin.lock:
                    standin.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers.items()),
                            "json": json.loads(raw or b"{}"),
                        }
                    )
                    answer = standin.script.pop(0) if standin.script else OK
                standin.arrived.set()
                if answer == TRICKLE:
                    self.trickle()
                    return
                if answer == HANG:
                    standin.release.wait(30)  # longer than any client timeout in the tests
                    answer = OK
                status, body, headers = answer
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the hang)

            def trickle(self):
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "100")
                    self.end_headers()
                    for _ in range(100):
                        if standin.release.wait(0.5):
                            return
                        self.wfile.write(b"k")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client cut it off

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def webhook_url(self):
        return f"{self.base_url}/services/T0000/B0000/abcdEFGHwxyz"

    def answer(self, *answers):
        with self.lock:
            self.script.extend(answers)

    @property
    def messages(self):
        return [request["json"] for request in self.requests]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
