import logging


class SkipStaticRequests(logging.Filter):
    """Drop the development server's log line for each static file it serves."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", "") if request is not None else ""
        if not path and record.args:
            path = str(record.args[0])  # "GET /static/... HTTP/1.1"
        return "/static/" not in path and "/favicon" not in path
