"""`make bench`: the catalogue under load at 1,000, 10,000 and 100,000 cases, on SQLite and PostgreSQL.

For each database: build (once, then reuse) three catalogues of synthetic cases. Then two modes,
both by default (`--mode warm|cold|both`):

warm: serve each catalogue under gunicorn with production settings (one sync worker, pinned to
core 0); drive it with wrk on core 1 over loopback, interleaving the endpoints in rounds so that
machine noise falls on all of them alike. Each endpoint is one URL repeated, so after the first
request this measures the cache. Prints one table per database and writes the figures to
bench/results/<database>.json.

cold (bench/cold.py): a seeded stream of distinct URLs per kind of page (lists, filters,
searches, case pages, the API, the first request after an editor's save), each measured once
in-process through the full middleware, with query counts, percentiles, the targets and a check
of the facet counts against the database. Writes bench/results/cold-<database>.json.

    python bench/run.py --mode cold --databases sqlite --sizes 1000,100000 --per-kind 40
"""

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
SIZES = [1_000, 10_000, 100_000]
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/{name}")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
SECRET = secrets.token_urlsafe(64)


def database_url(vendor, size):
    if vendor == "sqlite":
        return f"sqlite:///{DATA / f'bench-{size}.sqlite3'}"
    return PG_URL.format(name=f"catalogue_bench_{size}")


def manage(url, *args, quiet=True):
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "true"}
    out = subprocess.DEVNULL if quiet else None
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=out)


def prepare(vendor, size):
    """The synthetic catalogue of `size` cases, created once and reused by later runs."""
    url = database_url(vendor, size)
    if vendor == "postgresql":
        name = f"catalogue_bench_{size}"
        exists = subprocess.run(
            [
                "psql",
                PG_URL.format(name="postgres"),
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname='{name}'",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not exists:
            subprocess.run(
                ["psql", PG_URL.format(name="postgres"), "-qc", f"CREATE DATABASE {name}"],
                check=True,
            )
    else:
        DATA.mkdir(parents=True, exist_ok=True)
    manage(url, "migrate", "--noinput")
    manage(url, "loaddata", str(ROOT / "fixtures" / "vocabularies.json"))
    have = int(
        subprocess.run(
            [
                PYTHON,
                "-c",
                "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','catalogue.settings');"
                "django.setup();from catalogue.models import Case;print(Case.objects.filter(slug__startswith='synthetic-').count())",
            ],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    if have != size:
        print(f"  creating {size:,} synthetic cases in {vendor} …", flush=True)
        manage(url, "seed_synthetic", "--count", str(size), "--clear")
    return url


class Server:
    """gunicorn with production settings, one sync worker on core 0."""

    def __init__(self, url):
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": SECRET,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_BENCHMARK": "true",
            "DJANGO_LOG_LEVEL": "ERROR",
        }
        self.process = subprocess.Popen(
            [
                "taskset",
                "-c",
                "0",
                GUNICORN,
                "catalogue.wsgi",
                "--workers",
                "1",
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/b0/", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def wrk(path, seconds):
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            "-c1",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "report.lua"),
            f"http://127.0.0.1:{PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def measure(endpoints, rounds, seconds):
    """Median figures per endpoint over interleaved rounds."""
    for path in endpoints.values():  # warm caches and connections
        for _ in range(3):
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=30).read()
    samples = {name: [] for name in endpoints}
    for _ in range(rounds):
        for name, path in endpoints.items():
            samples[name].append(wrk(path, seconds))
    result = {}
    for name, runs in samples.items():
        result[name] = {
            "path": endpoints[name],
            "rps": statistics.median(r["rps"] for r in runs),
            **{
                k: statistics.median(r[f"{k}_us"] for r in runs) / 1000
                for k in ("p50", "p95", "p99")
            },
            "requests": sum(r["requests"] for r in runs),
            "errors": sum(r["socket_errors"] + r["bad_status"] for r in runs),
        }
    return result


def static_path():
    manifest = json.loads((ROOT / "staticfiles" / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"]["css/site.css"]


def pages(size):
    deep = max(1, size // 20 // 2)
    return {
        "home": "/",
        "list": "/cases/",
        "list_two_filters": "/cases/?phase=co-deliver&type=collective",
        "search_common": "/cases/?q=community",
        "search_rare": "/cases/?q=marmalade",
        "deep_page": f"/cases/?page={deep}",
        "case": "/cases/synthetic-000777/",
        "static": static_path(),
    }


BASELINES = {"B0": "/bench/b0/", "B1_list": "/bench/b1/list/", "B1_case": "/bench/b1/case/"}
RATIO_BASE = {
    "home": "B1_list",
    "list": "B1_list",
    "list_two_filters": "B1_list",
    "search_common": "B1_list",
    "search_rare": "B1_list",
    "deep_page": "B1_list",
    "case": "B1_case",
    "static": "B0",
}


def run_database(vendor, rounds, seconds, sizes=SIZES):
    print(f"\n== {vendor}", flush=True)
    started = time.monotonic()
    urls = {size: prepare(vendor, size) for size in sizes}
    report = {
        "database": vendor,
        "rounds": rounds,
        "seconds_per_run": seconds,
        "sizes": sizes,
        "scaling": {},
    }
    for size in sizes:
        server = Server(urls[size])
        try:
            if size == sizes[-1]:
                figures = measure({**BASELINES, **pages(size)}, rounds, seconds)
                report["endpoints"] = figures
            else:
                figures = measure(
                    {k: pages(size)[k] for k in ("list", "search_common", "case")},
                    rounds,
                    max(1, seconds // 2),
                )
            report["scaling"][size] = {
                k: figures[k]["p95"] for k in ("list", "search_common", "case")
            }
            report["scaling_errors"] = report.get("scaling_errors", 0) + sum(
                f["errors"] for f in figures.values()
            )
        finally:
            server.stop()
    report["elapsed_seconds"] = round(time.monotonic() - started)
    print_report(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{vendor}.json").write_text(json.dumps(report, indent=2))
    return report


def print_report(report):
    figures = report["endpoints"]
    sizes = report["sizes"]
    b0 = figures["B0"]["rps"]
    print(
        f"\n{report['database']} at {sizes[-1]:,} cases ({report['rounds']} rounds × {report['seconds_per_run']} s, c=1)"
    )
    print(
        f"{'endpoint':18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'P/B0':>6} {'P/B1':>6}"
    )
    for name, f in figures.items():
        base = RATIO_BASE.get(name)
        p_b1 = f"{f['rps'] / figures[base]['rps']:.2f}" if base and base != "B0" else ""
        print(
            f"{name:18} {f['rps']:8.1f} {f['p50']:8.1f} {f['p95']:8.1f} {f['p99']:8.1f} {f['errors']:6d} "
            f"{f['rps'] / b0:6.2f} {p_b1:>6}"
        )
    print("\np95 (ms) as the catalogue grows:")
    print(f"{'page':14}" + "".join(f"{size:>10,}" for size in sizes) + f"{'last/first':>11}")
    for page in ("list", "search_common", "case"):
        row = [report["scaling"][size][page] for size in sizes]
        print(f"{page:14}" + "".join(f"{x:10.1f}" for x in row) + f"{row[-1] / row[0]:11.2f}")
    print(
        f"(errors in the scaling runs: {report['scaling_errors']}; took {report['elapsed_seconds']} s)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["both", "warm", "cold"], default="both")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="e.g. 1000,100000")
    parser.add_argument("--rounds", type=int, default=3, help="warm: rounds per endpoint")
    parser.add_argument("--seconds", type=int, default=3, help="warm: seconds of wrk per run")
    parser.add_argument("--per-kind", type=int, default=40, help="cold: distinct URLs per kind")
    args = parser.parse_args()
    databases = args.databases.split(",")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    env = {**os.environ, "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": SECRET}
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    if args.mode in ("both", "warm"):
        for vendor in databases:
            run_database(vendor, args.rounds, args.seconds, sizes)
    if args.mode in ("both", "cold"):
        sys.path.insert(0, str(ROOT))
        from bench import cold

        cold.run(databases, sizes, args.per_kind, prepare)


if __name__ == "__main__":
    sys.exit(main())
