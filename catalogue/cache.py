"""The site-wide cache of computed counts and lists, and the catalogue version that keys it.

Every cached value's key includes the catalogue version, a number that changes whenever a case or
a term changes (apps.py connects the signals; bulk writes call `bump_catalogue_version`), so a
publish is seen at once. Values also expire after ten minutes at most. Each new version notes which
cases its change touched, when that is known (a case saved, deleted or given other terms), so that
the facet index (facetindex.py) can read just those again. Several workers must share
the cache (Redis, REDIS_URL) to see each other's changes: `check --deploy` fails without it.
"""

import hashlib
import secrets

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalogue:version"
CHANGED_KEY = "catalogue:changed:{}"
CACHE_SECONDS = 600


def _first_version():
    # Random, so that a cache emptied and started again never repeats a version a process has
    # already seen (its facet index would otherwise look current).
    return secrets.randbelow(2**40)


def catalogue_version():
    """A number that changes whenever any case changes: part of every cached value's key."""
    return cache.get_or_set(VERSION_KEY, _first_version, timeout=None)


def bump_catalogue_version(sender=None, instance=None, **kwargs):
    """Invalidate every cached value (connected to case saves; called after bulk writes): at once,
    for this transaction's own reads, and again after the commit, so that nothing another request
    computed from the old rows in the meantime outlives the change."""
    changed = _changed_cases(instance, kwargs)
    _bump(changed)
    transaction.on_commit(lambda: _bump(changed))


def _changed_cases(instance, signal):
    """The ids of the cases a signal says changed, or None if not known (a bulk write, a term)."""
    from catalogue.models import Case, SynonymGroup

    if isinstance(instance, Case) and instance.pk is not None and not signal.get("reverse"):
        return frozenset([instance.pk])
    if isinstance(instance, SynonymGroup):
        return frozenset()  # the search thesaurus: no case changed (facetindex reads it again)
    return None


def _bump(changed):
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, _first_version(), timeout=None)
        return
    if changed is not None:
        cache.set(CHANGED_KEY.format(version), changed, CACHE_SECONDS)


def changes_between(old, new):
    """The ids of the cases changed from version `old` to `new`, or None if any change between
    them did not say (or the record has expired)."""
    keys = [CHANGED_KEY.format(version) for version in range(old + 1, new + 1)]
    recorded = cache.get_many(keys)
    if len(recorded) != len(keys):
        return None
    return frozenset().union(*recorded.values())


def cached(name, params, compute):
    """`compute()`, cached until the catalogue changes (or for ten minutes at most)."""
    digest = hashlib.sha256(repr(params).encode()).hexdigest()
    key = f"catalogue:{name}:{catalogue_version()}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value
