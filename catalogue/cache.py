"""The site-wide cache of computed counts and lists, and the catalogue version that keys it.

Every cached value's key includes the catalogue version, a number that changes whenever a case or
a term changes (apps.py connects the signals; bulk writes call `bump_catalogue_version`), so a
publish is seen at once. Values also expire after ten minutes at most. Several workers must share
the cache (Redis, REDIS_URL) to see each other's changes: `check --deploy` fails without it.
"""

import hashlib

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalogue:version"
CACHE_SECONDS = 600


def catalogue_version():
    """A number that changes whenever any case changes: part of every cached value's key."""
    return cache.get_or_set(VERSION_KEY, 1, timeout=None)


def bump_catalogue_version(**kwargs):
    """Invalidate every cached value (connected to case saves; called after bulk writes): at once,
    for this transaction's own reads, and again after the commit, so that nothing another request
    computed from the old rows in the meantime outlives the change."""
    _bump()
    transaction.on_commit(_bump)


def _bump():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, timeout=None)


def cached(name, params, compute):
    """`compute()`, cached until the catalogue changes (or for ten minutes at most)."""
    digest = hashlib.sha256(repr(params).encode()).hexdigest()
    key = f"catalogue:{name}:{catalogue_version()}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value
