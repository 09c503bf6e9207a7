"""A database that is busy or out of reach answers with a polite page, not a server error."""

import logging

from django.db import OperationalError
from django.shortcuts import render

logger = logging.getLogger(__name__)
RETRY_SECONDS = 30


class DatabaseBusyMiddleware:
    """A long write holding SQLite's lock past its busy timeout, or a database that cannot be
    reached, gives 503 with a page that says to try again (and Retry-After). Nothing typed in a
    submission is lost: its answers stay in the session, and every write is one transaction."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError):
            return None
        logger.warning("Database busy or unreachable on %s: %s", request.path, exception)
        response = render(request, "busy.html", {"retry_seconds": RETRY_SECONDS}, status=503)
        response["Retry-After"] = str(RETRY_SECONDS)
        return response
