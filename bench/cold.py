"""Cold mode of `make bench`: pages the cache has not seen, at 1,000, 10,000 and 100,000 cases.

The warm mode (bench/run.py) repeats one URL per endpoint, so after the first request it measures
the cache. Here every request of a kind is a distinct URL from a seeded stream, with every filter
value read from the database and the vocabulary, and no two requests share a set of filter
parameters (so no request can reuse what another computed, whatever the page or the sort). Kinds:

  list_page       /cases/?page=N, random N
  list_filters    1-4 filters, sometimes a sort or page 2
  search          q= one or two words: common, rare, place names, phrases, words found nowhere
  search_filters  q= and 1-3 filters (the first is /cases/?q=community&evidence_min=2)
  case            /cases/<slug>/ by random synthetic slug
  home            /: its URL cannot be distinct, but it reads no cached value (its counts come
                  from the facet index, its newest cases from one query), so each is computed
  api             /api/cases/? with filters, sometimes a search or a page size
  after_publish   an editor's save of a published case (services.case_save, so the catalogue
                  version changes), then a distinct filtered list URL; the saves are undone at
                  the end (title, version, time of change; the history rows they added)

The kinds are interleaved round-robin with the template ceilings B1_list and B1_case
(bench/baselines.py), so that machine noise falls on all alike. Requests go in-process through
the full middleware (django.test.Client) with production settings and a per-process cache, one
process per database and size; each request's queries are counted. The cache is emptied at the
start, then a few requests that share no cached value with the measured ones bring the process to
where a running server's would be. At the largest size, the result count and every facet count
of a few of the sampled list pages are compared with the database.

    python bench/cold.py --databases sqlite,postgresql --sizes 1000,10000,100000 --per-kind 40

`bench/run.py --mode cold` does the same. Writes bench/results/cold-<database>.json.
"""

import argparse
import json
import math
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = str(ROOT / ".venv" / "bin" / "python")
RESULTS = ROOT / "bench" / "results"
SIZES = [1_000, 10_000, 100_000]
PER_KIND = 40
SEED = 2026
KINDS = [
    "list_page",
    "list_filters",
    "search",
    "search_filters",
    "case",
    "home",
    "api",
    "after_publish",
]
BASELINES = {"B1_list": "/bench/b1/list/", "B1_case": "/bench/b1/case/"}
# kind: (baseline, factor): cold p95 at the largest size ≤ factor times the baseline's p95.
TARGETS = {
    "list_page": ("B1_list", 5),
    "list_filters": ("B1_list", 5),
    "after_publish": ("B1_list", 5),
    "search": ("B1_list", 8),
    "search_filters": ("B1_list", 8),
    "api": ("B1_list", 8),
    "case": ("B1_case", 2),
    "home": ("B1_list", 3),
}
GROWTH = 2  # cold p95 at the largest size ≤ GROWTH times that at the smallest
MAX_MS = 1000  # no request in the whole run over this
SORTS = ["newest", "title", "evidence"]
# The warm-up's filters, which the measured URLs never use.
WARM_FILTERS = [
    [("phase", "co-design"), ("type", "collective")],
    [("q", "community"), ("phase", "co-design"), ("type", "collective")],
]
NOWHERE = ["xylophone", "quokka", "zeppelin", "obsidian", "marzipan", "kumquat", "gondola"]
# Content words among the synthetic texts' filler (seed_synthetic.FILLER): in most cases.
FREQUENT = ["outcomes", "evidence", "trust", "decisions", "budget", "design", "review", "training"]


# ---------------------------------------------------------------- the streams of URLs


class Streams:
    """The seeded URL streams, one per kind, from the vocabulary of the database in use.

    Each kind draws from its own random.Random, so a kind's stream is the same at every size
    (except page numbers and slugs, which depend on the size). `seen` holds every set of filter
    parameters used so far, across kinds, so that no two requests share one."""

    def __init__(self, size, per_kind):
        from django.db.models import Max, Min

        from catalogue.dimensions import DIMENSIONS, FACETED
        from catalogue.management.commands import seed_synthetic as synthetic
        from catalogue.models import Case

        published = Case.objects.published()
        self.size, self.per_kind, self.seen = size, per_kind, set()
        self.total = published.count()
        self.prefix = synthetic.PREFIX
        # Every filter but the search (catalogue/dimensions.py), in the order of the form.
        self.params = [d.param for d in DIMENSIONS if d.param != "q"]
        self.values = {
            d.param: [value for value, _, _ in d.options()] for d in FACETED if d.param != "country"
        }
        countries = published.order_by("country").values_list("country", flat=True)
        self.values["country"] = [c for c in countries.distinct() if c]
        years = published.aggregate(low=Min("start_year"), high=Max("start_year"))
        self.values["year_from"] = self.values["year_to"] = [
            str(y) for y in range(years["low"], years["high"] + 1)
        ]
        places = [p.lower() for p in synthetic.PLACES]
        self.words = {
            "common": synthetic.COMMON + FREQUENT,
            "rare": synthetic.RARE,
            "place": places,
            "nowhere": NOWHERE,
        }
        self.phrases = [p for p in synthetic.PRACTICES if " " in p]

    def rng(self, kind):
        return random.Random(f"{SEED}-{kind}")

    def distinct(self, make):
        """A new URL from `make()` -> (url, filter parameters), or None if none can be found."""
        for _ in range(500):
            url, params = make()
            key = frozenset(params)
            if key not in self.seen:
                self.seen.add(key)
                return url
        return None

    def filters(self, rng, count):
        """`count` distinct filters with real values (a repeatable one sometimes twice)."""
        pairs = []
        for param in rng.sample(self.params, count):
            values = self.values[param]
            if param in ("phase", "area", "producer") and rng.random() < 0.25:
                pairs += [(param, value) for value in rng.sample(values, 2)]
            else:
                pairs.append((param, rng.choice(values)))
        years = dict(p for p in pairs if p[0] in ("year_from", "year_to"))
        if len(years) == 2 and int(years["year_from"]) > int(years["year_to"]):
            pairs = [p for p in pairs if p[0] not in years]
            pairs += [("year_from", years["year_to"]), ("year_to", years["year_from"])]
        return sorted(pairs, key=lambda p: (self.params.index(p[0]), p[1]))

    def query(self, rng):
        """One or two words (or a two-word phrase) to search for."""
        roll, words = rng.random(), self.words
        if roll < 0.25:
            return rng.choice(words["common"])
        if roll < 0.40:
            return rng.choice(words["rare"])
        if roll < 0.48:
            return rng.choice(words["place"])
        if roll < 0.56:
            return rng.choice(words["nowhere"])
        if roll < 0.64:
            return f'"{rng.choice(self.phrases)}"'
        first, second = rng.choice(
            [
                ("common", "common"),
                ("common", "rare"),
                ("rare", "rare"),
                ("common", "place"),
                ("common", "nowhere"),
            ]
        )
        return f"{rng.choice(words[first])} {rng.choice(words[second])}"

    def build(self):
        n, size = self.per_kind, self.size
        streams = {kind: [] for kind in KINDS}

        rng = self.rng("list_page")
        pages = max(1, math.ceil(self.total / 20))
        streams["list_page"] = [
            f"/cases/?page={p}" for p in rng.sample(range(1, pages + 1), min(n, pages))
        ]

        rng = self.rng("list_filters")

        def list_filters():
            params = self.filters(rng, rng.randint(1, 4))
            extra = []
            roll = rng.random()
            if roll < 0.2:
                extra = [("sort", rng.choice(SORTS))]
            elif roll < 0.35:
                extra = [("page", "2")]
            return "/cases/?" + urlencode(params + extra), params

        rng_search = self.rng("search")

        def search():
            params = [("q", self.query(rng_search))]
            return "/cases/?" + urlencode(params), params

        rng_sf = self.rng("search_filters")
        first = [("q", "community"), ("evidence_min", "2")]  # 70 s on SQLite before 1ceb24f

        def search_filters():
            params = [("q", self.query(rng_sf)), *self.filters(rng_sf, rng_sf.randint(1, 3))]
            extra = [("sort", rng_sf.choice(SORTS))] if rng_sf.random() < 0.15 else []
            return "/cases/?" + urlencode(params + extra), params

        rng_api = self.rng("api")

        def api():
            params = self.filters(rng_api, rng_api.randint(1, 3))
            if rng_api.random() < 0.3:
                params = [("q", self.query(rng_api)), *params]
            # Not page 2: a selection of fewer than 21 cases has none (404).
            roll, extra = rng_api.random(), []
            if roll < 0.3:
                extra = [("page_size", rng_api.choice(["10", "50", "100"]))]
            return "/api/cases/?" + urlencode(params + extra), params

        rng_ap = self.rng("after_publish")

        def after_publish():
            params = self.filters(rng_ap, rng_ap.randint(1, 2))
            return "/cases/?" + urlencode(params), params

        for params in (first, *WARM_FILTERS):
            self.seen.add(frozenset(params))
        streams["search_filters"].append("/cases/?" + urlencode(first))
        makers = {
            "list_filters": list_filters,
            "search": search,
            "search_filters": search_filters,
            "api": api,
            "after_publish": after_publish,
        }
        for _ in range(n):  # round-robin, so that no kind takes all the easy combinations
            for kind, make in makers.items():
                if len(streams[kind]) < n and (url := self.distinct(make)):
                    streams[kind].append(url)

        rng = self.rng("case")
        picked = rng.sample(range(size), min(n, size))
        streams["case"] = [f"/cases/{self.prefix}{i:06d}/" for i in picked]
        streams["home"] = ["/"] * n
        rng = self.rng("edits")
        edited = rng.sample(range(size), min(n, size))
        edits = [f"{self.prefix}{i:06d}" for i in edited]
        spare = next((i for i in range(size) if i not in set(picked) | set(edited)), 0)
        warm = ["/bench/b0/", *BASELINES.values(), "/", f"/cases/{self.prefix}{spare:06d}/"]
        warm += ["/cases/?" + urlencode(p) for p in WARM_FILTERS]
        warm += ["/api/cases/?" + urlencode(p) for p in WARM_FILTERS]
        return streams, edits, warm


# ---------------------------------------------------------------- the editor's saves


class Edits:
    """Editors' saves of published cases (a slightly changed title), undone at the end: the
    title, the version and the time of the last change are put back, and the history rows the
    saves added are deleted."""

    def __init__(self, slugs):
        self.slugs, self.done = list(slugs), []

    def next(self):
        from catalogue import services
        from catalogue.models import Case

        slug = self.slugs[len(self.done)]
        case = Case.objects.published().get(slug=slug)
        self.done.append((case.pk, case.title, case.version, case.updated_at))
        case.title = f"{case.title}, revised"
        services.case_save(case=case, created=False)
        return slug

    def undo(self, since):
        from django.apps import apps
        from django.db import transaction

        from catalogue.models import Case

        history = Case.history.model
        m2m = [
            model
            for model in apps.get_models()
            if any(f.name == "history" and f.related_model is history for f in model._meta.fields)
        ]
        with transaction.atomic():
            for pk, title, version, updated_at in reversed(self.done):
                Case.objects.filter(pk=pk).update(
                    title=title, version=version, updated_at=updated_at
                )
                added = list(
                    history.objects.filter(id=pk, history_date__gte=since).values_list(
                        "history_id", flat=True
                    )
                )
                for model in m2m:
                    model.objects.filter(history_id__in=added).delete()
                history.objects.filter(history_id__in=added).delete()
        return len(self.done)


# ---------------------------------------------------------------- parity of facet counts


class FacetPage(HTMLParser):
    """The result count and each facet option of a case list page: (param, value, href, count).
    An option is a form input (its query is the page's with the option chosen) or a link."""

    def __init__(self):
        super().__init__()
        self.options, self.result_count = [], None
        self._in_options = self._in_count = self._in_result = False
        self._pending, self._text = None, ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "ul" and "options" in classes:
            self._in_options = True
        elif tag == "p" and "result-count" in classes:
            self._in_result, self._text = True, ""
        elif self._in_options and tag == "input" and attrs.get("value"):
            self._pending = {"param": attrs.get("name"), "value": attrs["value"], "href": None}
        elif self._in_options and tag == "a" and attrs.get("href"):
            self._pending = {"param": None, "value": None, "href": attrs["href"]}
        elif tag == "span" and "count" in classes and self._pending:
            self._in_count, self._text = True, ""
        elif tag == "span" and self._in_count:
            self._finish_count()

    def handle_endtag(self, tag):
        if tag == "ul":
            self._in_options = False
        elif tag == "span" and self._in_count:
            self._finish_count()
        elif tag == "p" and self._in_result:
            self._in_result = False
            self.result_count = _number(self._text)

    def handle_data(self, data):
        if self._in_count or self._in_result:
            self._text += data

    def _finish_count(self):
        self._in_count = False
        self.options.append({**self._pending, "shown": _number(self._text)})
        self._pending = None


def _number(text):
    found = re.search(r"\d[\d,]*", text or "")
    return int(found.group().replace(",", "")) if found else None


def parity(client, urls):
    """Each facet option's displayed count (and the result count) on these list pages against
    CaseFilter over the published cases with the option's query."""
    from django.http import QueryDict

    from catalogue.dimensions import BY_PARAM
    from catalogue.filters import CaseFilter
    from catalogue.models import Case

    def truth(query):
        return CaseFilter(QueryDict(query), queryset=Case.objects.published()).qs.count()

    checked, mismatches, started = 0, [], time.perf_counter()
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            mismatches.append({"url": url, "problem": f"status {response.status_code}"})
            continue
        page = FacetPage()
        page.feed(response.content.decode())
        base = QueryDict(urlsplit(url).query, mutable=True)
        base.pop("page", None)
        if not page.options:
            mismatches.append({"url": url, "problem": "no facet options found on the page"})
        expected = truth(base.urlencode())
        checked += 1
        if page.result_count != expected:
            mismatches.append(
                {"url": url, "option": "result count", "shown": page.result_count, "db": expected}
            )
        for option in page.options:
            if option["href"] is not None:
                query = urlsplit(option["href"]).query
                label = option["href"]
            else:
                params = base.copy()
                dimension = BY_PARAM.get(option["param"])
                if dimension is not None and dimension.repeatable:
                    values = params.getlist(option["param"])
                    params.setlist(option["param"], list(dict.fromkeys([*values, option["value"]])))
                else:
                    params.setlist(option["param"], [option["value"]])
                query = params.urlencode()
                label = f"{option['param']}={option['value']}"
            expected = truth(query)
            checked += 1
            if option["shown"] != expected:
                mismatches.append(
                    {
                        "url": url,
                        "option": label,
                        "query": query,
                        "shown": option["shown"],
                        "db": expected,
                    }
                )
    return {
        "urls": urls,
        "counts_checked": checked,
        "mismatches": mismatches,
        "seconds": round(time.perf_counter() - started, 1),
    }


def parity_urls(streams):
    """A handful of the sampled list URLs: the unfiltered list, filtered lists, a search and a
    search with filters."""
    picked = streams["list_page"][:1] + streams["list_filters"][:2]
    searches = [u for u in streams["search"] if " " not in u and "%22" not in u]
    picked += searches[:1] + streams["search_filters"][:1]
    return picked


# ---------------------------------------------------------------- one database at one size


def worker(size, per_kind, check_parity, out):
    """Runs inside the process with DATABASE_URL set: the interleaved cold run at one size."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the edits are undone
    sampled = Streams(size, per_kind)
    streams, edit_slugs, warm = sampled.build()
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)

    # An empty cache; then the process as a running server's would be (code loaded, templates
    # compiled, the database connected, whatever is built once per process), through requests
    # that share no cached value with the measured ones.
    cache.clear()
    from catalogue import facetindex, wordindex

    facetindex.warm()  # as each worker does at start (wsgi.py): the facet and word indexes read
    for url in warm:
        client.get(url)

    def timed(url):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            response.content  # noqa: B018 - the whole body, as a server would send it
            ms = (time.perf_counter() - started) * 1000
        return response.status_code, ms, len(queries.captured_queries)

    # Reading the whole facet index and word index, as a worker does at start (and after a bulk
    # write or a cache flush): timed on their own, not part of any request measured below.
    read_started = time.perf_counter()
    facetindex.build(0)
    index_read_ms = (time.perf_counter() - read_started) * 1000
    words_read_ms = None
    if wordindex.current(facetindex.current()) is not None:  # from MIN_CASES published cases
        read_started = time.perf_counter()
        wordindex.build(0)
        words_read_ms = (time.perf_counter() - read_started) * 1000

    edits = Edits(edit_slugs)
    since = timezone.now()
    records, started = [], time.monotonic()
    order = KINDS + list(BASELINES)
    rounds = max(len(s) for s in streams.values())
    try:
        for i in range(rounds):
            for kind in order:
                if kind in BASELINES:
                    url, edited = BASELINES[kind], None
                elif i < len(streams[kind]):
                    url, edited = streams[kind][i], None
                else:
                    continue
                if kind == "after_publish":
                    edited = edits.next()
                status, ms, queries = timed(url)
                record = {"kind": kind, "url": url, "ms": ms, "queries": queries, "status": status}
                if edited:
                    record["edited"] = edited
                records.append(record)
            if (i + 1) % 10 == 0 or i + 1 == rounds:
                print(
                    f"    {size:,}: round {i + 1}/{rounds}, {time.monotonic() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        checked = parity(client, parity_urls(streams)) if check_parity else None
    finally:
        undone = edits.undo(since)
    result = {
        "size": size,
        "cases": sampled.total,
        "per_kind": per_kind,
        "seconds": round(time.monotonic() - started, 1),
        "edits_undone": undone,
        "index_read_ms": index_read_ms,
        "words_read_ms": words_read_ms,
        "requests": records,
        "parity": checked,
    }
    Path(out).write_text(json.dumps(result))


# ---------------------------------------------------------------- figures and report


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(run):
    kinds = {}
    for kind in KINDS + list(BASELINES):
        rows = [r for r in run["requests"] if r["kind"] == kind]
        if not rows:
            continue
        ms = [r["ms"] for r in rows]
        queries = [r["queries"] for r in rows]
        errors = [r for r in rows if r["status"] != 200]
        kinds[kind] = {
            "n": len(rows),
            "p50": statistics.median(ms),
            "p95": percentile(ms, 95),
            "p99": percentile(ms, 99),
            "max": max(ms),
            "queries_min": min(queries),
            "queries_max": max(queries),
            "errors": len(errors),
            "error_samples": [{"url": r["url"], "status": r["status"]} for r in errors[:5]],
            "slowest": max(rows, key=lambda r: r["ms"])["url"],
        }
    slowest = max(run["requests"], key=lambda r: r["ms"])
    return {
        "size": run["size"],
        "cases": run["cases"],
        "seconds": run["seconds"],
        "edits_undone": run["edits_undone"],
        "index_read_ms": run["index_read_ms"],
        "words_read_ms": run.get("words_read_ms"),
        "kinds": kinds,
        "max_ms": slowest["ms"],
        "max_url": slowest["url"],
        "errors": sum(k["errors"] for k in kinds.values()),
        "parity": run["parity"],
    }


def query_differences(kind, small, big):
    """Which of the kind's URLs measured at both sizes took a different number of queries."""
    before = {r["url"]: r["queries"] for r in small if r["kind"] == kind}
    changed = [
        (r["url"], before[r["url"]], r["queries"])
        for r in big
        if r["kind"] == kind and r["url"] in before and before[r["url"]] != r["queries"]
    ]
    if not changed:
        return " (no URL measured at both sizes differs)"
    url, a, b = changed[0]
    return f" ({len(changed)} of the URLs measured at both sizes differ, e.g. {url}: {a} → {b})"


def targets(sizes):
    """Each target at the largest size, with its figure and whether it is met."""
    first, last = sizes[min(sizes)], sizes[max(sizes)]
    big, small = f"{max(sizes):,}", f"{min(sizes):,}"
    kinds = last["kinds"]
    out = []
    for kind, (base, factor) in TARGETS.items():
        if kind not in kinds:
            continue
        ratio = kinds[kind]["p95"] / kinds[base]["p95"]
        out.append(
            {
                "target": f"{kind} p95 ≤ {factor} × {base} p95 at {big}",
                "figure": f"{kinds[kind]['p95']:.1f} ms = {ratio:.1f} × {kinds[base]['p95']:.1f} ms",
                "pass": ratio <= factor,
            }
        )
    if len(sizes) > 1:
        for kind in KINDS:
            if kind in kinds and kind in first["kinds"]:
                growth = kinds[kind]["p95"] / first["kinds"][kind]["p95"]
                out.append(
                    {
                        "target": f"{kind} p95 at {big} ≤ {GROWTH} × at {small}",
                        "figure": f"{kinds[kind]['p95']:.1f} / {first['kinds'][kind]['p95']:.1f} ms"
                        f" = {growth:.2f}",
                        "pass": growth <= GROWTH,
                    }
                )
        for kind in KINDS:
            if kind in kinds and kind in first["kinds"]:
                a, b = first["kinds"][kind]["queries_max"], kinds[kind]["queries_max"]
                figure = f"{a} → {b}"
                if a != b:
                    figure += query_differences(kind, first["requests"], last["requests"])
                # Fewer at the largest size where the word index answers a ranked search for
                # common words (at the smallest, too few cases match for it to rank them).
                out.append(
                    {
                        "target": f"{kind} queries (max) no more at {big} than at {small}",
                        "figure": figure,
                        "pass": b <= a,
                    }
                )
    slowest = max(sizes.values(), key=lambda s: s["max_ms"])
    out.append(
        {
            "target": f"no request over {MAX_MS} ms in the whole run",
            "figure": f"max {slowest['max_ms']:.0f} ms at {slowest['size']:,}: {slowest['max_url']}",
            "pass": slowest["max_ms"] <= MAX_MS,
        }
    )
    errors = sum(s["errors"] for s in sizes.values())
    mismatches = sum(len(s["parity"]["mismatches"]) for s in sizes.values() if s["parity"])
    out.append(
        {
            "target": "no errors (status other than 200, facet counts unlike the database)",
            "figure": f"{errors} errors, {mismatches} parity mismatches",
            "pass": errors == 0 and mismatches == 0,
        }
    )
    return out


def print_size(vendor, s):
    print(
        f"\n{vendor}, {s['cases']:,} published cases, cold (took {s['seconds']:.0f} s;"
        f" {s['edits_undone']} editor's saves undone; the whole facet index read at start in"
        f" {s['index_read_ms']:.0f} ms"
        + (f", the word index in {s['words_read_ms']:.0f} ms" if s.get("words_read_ms") else "")
        + ")"
    )
    print(
        f"{'kind':15} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9}"
        f" {'queries':>8} {'errors':>6}"
    )
    for kind, k in s["kinds"].items():
        queries = f"{k['queries_min']}-{k['queries_max']}"
        print(
            f"{kind:15} {k['n']:4d} {k['p50']:9.1f} {k['p95']:9.1f} {k['p99']:9.1f} {k['max']:9.1f}"
            f" {queries:>8} {k['errors']:6d}"
        )
    slowest = sorted(s["requests"], key=lambda r: r["ms"], reverse=True)[:3]
    print("slowest: " + "; ".join(f"{r['ms']:.0f} ms {r['url']}" for r in slowest))
    for kind, k in s["kinds"].items():
        for sample in k["error_samples"]:
            print(f"  !! ERROR {kind}: status {sample['status']} {sample['url']}")
    if s["parity"]:
        p = s["parity"]
        print(
            f"facet parity: {p['counts_checked']} counts on {len(p['urls'])} pages,"
            f" {len(p['mismatches'])} mismatches ({p['seconds']:.0f} s)"
        )
        for url in dict.fromkeys(m["url"] for m in p["mismatches"]):
            wrong = [m for m in p["mismatches"] if m["url"] == url]
            print(f"  !! MISMATCH on {url}: {len(wrong)} problems, e.g.")
            for m in wrong[:3]:
                if "problem" in m:
                    print(f"       {m['problem']}")
                else:
                    print(f"       {m['option']}: shown {m['shown']}, database {m['db']}")


def report(vendor, per_kind, sizes, code):
    print(f"\n== cold: {vendor} (code: {code})")
    print(
        f"{per_kind} distinct URLs per kind (home: one URL that reads no cached value),"
        " interleaved; the cache empty at the start; B1_* are the in-memory template ceilings."
    )
    for size in sorted(sizes):
        print_size(vendor, sizes[size])
    checks = targets(sizes)
    print(f"\n{vendor}: targets")
    for t in checks:
        print(f"  {'PASS' if t['pass'] else 'FAIL'}  {t['target']}: {t['figure']}")
    errors = sum(s["errors"] for s in sizes.values())
    mismatches = sum(len(s["parity"]["mismatches"]) for s in sizes.values() if s["parity"])
    if errors or mismatches:
        banner = f"!!! {vendor}: {errors} REQUESTS FAILED, {mismatches} FACET COUNTS WRONG (above)"
        print(f"\n{banner}\n")
        print(banner, file=sys.stderr)
    return checks


def worker_env(url):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_BENCHMARK": "true",
        "DJANGO_LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)  # a per-process cache, empty at the start
    return env


def code_state():
    """The commit measured, and any uncommitted change to the application's code."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode:
        return "not a git checkout"
    status = subprocess.run(
        [*git, "status", "--porcelain", "--", "catalogue", "templates", "static", "pyproject.toml"],
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    changed = [line[3:] for line in status if line.strip()]
    return head.stdout.strip() + (
        f" with uncommitted changes to {', '.join(changed)}" if changed else ""
    )


def run_database(vendor, sizes, per_kind, prepare):
    """The cold run at each size on one database; prints the tables and targets, writes JSON."""
    started = time.monotonic()
    urls = {size: prepare(vendor, size) for size in sizes}
    code = code_state()
    figures = {}
    for size in sizes:
        print(f"  cold {vendor} at {size:,} cases …", file=sys.stderr, flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [PYTHON, __file__, "--worker", "--sizes", str(size)]
            command += ["--per-kind", str(per_kind), "--out", out.name]
            if size == max(sizes):
                command.append("--parity")
            subprocess.run(command, cwd=ROOT, env=worker_env(urls[size]), check=True)
            run = json.loads(Path(out.name).read_text())
        figures[size] = {**summarise(run), "requests": run["requests"]}
    if (now := code_state()) != code:
        code = f"CHANGED DURING THE RUN: {code} at the start, {now} at the end"
    checks = report(vendor, per_kind, figures, code)
    result = {
        "database": vendor,
        "code": code,
        "per_kind": per_kind,
        "seed": SEED,
        "elapsed_seconds": round(time.monotonic() - started),
        "targets": checks,
        "sizes": {str(size): figures[size] for size in sizes},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"cold-{vendor}.json").write_text(json.dumps(result, indent=2))
    return result


def run(databases, sizes, per_kind, prepare):
    return [run_database(vendor, sizes, per_kind, prepare) for vendor in databases]


def collectstatic():
    env = {**os.environ, "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": secrets.token_urlsafe(64)}
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )


def sizes_list(text):
    return sorted(int(s.replace("_", "").replace(",", "")) for s in text.split(",") if s.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--per-kind", type=int, default=PER_KIND)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--parity", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(sizes_list(args.sizes)[0], args.per_kind, args.parity, args.out)
    from bench.run import prepare

    collectstatic()
    run(args.databases.split(","), sizes_list(args.sizes), args.per_kind, prepare)
    return 0


if __name__ == "__main__":
    sys.exit(main())
