"""Production settings: check --deploy is clean, and every page type sends the security headers."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 20 + "-a-long-and-random-production-secret-key-for-tests-only",
    "DJANGO_ALLOWED_HOSTS": "catalogue.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
SECURITY_SETTINGS = [
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
]


def test_check_deploy_is_clean_under_production_settings():
    env = {**os.environ, **PRODUCTION_ENV}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_real_secret_key():
    env = {**os.environ, "DJANGO_DEBUG": "false"}
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.fixture
def production(settings, monkeypatch):
    """The security settings exactly as production computes them."""
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    computed = runpy.run_path(str(ROOT / "catalogue" / "settings.py"))
    for name in SECURITY_SETTINGS:
        setattr(settings, name, computed[name])
    settings.SECURE_SSL_REDIRECT = False  # the test client asks over HTTPS itself
    return computed


PAGES = ["/", "/cases/", "/cases/{slug}/", "/submit/", "/submit/who/", "/admin/login/", "/guide/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page_type(client, make_case, production, path):
    case = make_case()
    response = client.get(path.format(slug=case.slug), secure=True)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_cookies_are_secure_httponly_and_samesite(client, vocabularies, production):
    client.get("/submit/who/", secure=True)
    response = client.post(
        "/submit/who/", {"planning": "co-planning", "delivery": "community"}, secure=True
    )
    cookies = response.cookies
    session = cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    csrf = (
        client.get("/submit/who/", secure=True).cookies.get("csrftoken")
        or client.cookies["csrftoken"]
    )
    assert csrf["secure"] and csrf["samesite"] == "Lax"


@pytest.mark.django_db
def test_rate_limits_and_cached_counts_work_on_a_shared_redis_cache(client, make_case, settings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    from django.core.cache import cache

    cache.clear()
    case = make_case()
    assert "1 case" in client.get("/cases/").content.decode()
    settings.REPORT_RATE = "1/h"
    report = f"/cases/{case.slug}/report/"
    assert client.post(report, {"reason": "other", "details": "a"}).status_code == 302
    assert client.post(report, {"reason": "other", "details": "b"}).status_code == 429
    cache.clear()


def test_check_deploy_fails_without_a_shared_cache():
    """Without Redis each worker caches alone, and a withdrawn case stays on other workers' pages."""
    env = {**os.environ, **PRODUCTION_ENV}
    env.pop("REDIS_URL")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "catalogue.E001" in result.stdout + result.stderr
