"""What one request may cost the database, and polite pages when that is exceeded or the database
is busy, instead of a server error or a stuck worker.

Every public request's database work is bounded by settings.REQUEST_DB_SECONDS: on PostgreSQL each
statement by `statement_timeout`, on SQLite the whole request by a progress handler that interrupts
the query running past the deadline. The editors' admin is not bounded (bulk actions are long).
Both are set on the driver's connection directly, so they add no query to the request's own.
Work a request does for every visitor, reading the facet index (facetindex.py), runs `unbounded`.
"""

import logging
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection
from django.shortcuts import render

logger = logging.getLogger(__name__)
RETRY_SECONDS = 30
SQLITE_CHECK_EVERY = 10_000  # virtual-machine instructions between checks of the clock
_active = threading.local()  # the bound of the request this thread is serving


class DatabaseBoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/") or not settings.REQUEST_DB_SECONDS:
            return self.get_response(request)
        bound = _Bound(settings.REQUEST_DB_SECONDS)
        bound.start()
        _active.bound = bound
        try:
            return self.get_response(request)
        finally:
            _active.bound = None
            bound.stop()

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError):
            return None
        if too_long(exception):
            logger.warning("Request over its database bound: %s", request.get_full_path()[:300])
            template = "too_long.html"
        else:
            logger.warning("Database busy or unreachable on %s: %s", request.path, exception)
            template = "busy.html"
        response = render(request, template, {"retry_seconds": RETRY_SECONDS}, status=503)
        response["Retry-After"] = str(RETRY_SECONDS)
        return response


@contextmanager
def unbounded():
    """Lift the request's bound for work done for every visitor, not for this request; the
    request's own deadline still holds after it."""
    bound = getattr(_active, "bound", None)
    if bound is None:
        yield
        return
    bound.stop()
    try:
        yield
    finally:
        bound.start()


def too_long(error):
    """Whether a database error is the request's bound being hit (not a lock or an outage)."""
    cause = error.__cause__
    return "interrupted" in str(error) or type(cause).__name__ == "QueryCanceled"


class _Bound:
    def __init__(self, seconds):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def start(self):
        connection.ensure_connection()
        raw = connection.connection
        if connection.vendor == "sqlite":
            deadline = self.deadline
            raw.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_CHECK_EVERY)
        elif connection.vendor == "postgresql":
            raw.execute(f"SET statement_timeout = {int(self.seconds * 1000)}")

    def stop(self):
        raw = connection.connection
        if raw is None:
            return
        try:
            if connection.vendor == "sqlite":
                raw.set_progress_handler(None, SQLITE_CHECK_EVERY)
            elif connection.vendor == "postgresql":
                raw.execute("SET statement_timeout = 0")
        except Exception:  # a broken or aborted connection: Django will replace or reset it
            logger.debug("Could not lift the database bound", exc_info=True)
