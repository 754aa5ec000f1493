"""Settings come from the environment and fail loudly on values they cannot use.

Most tests execute console/settings.py afresh with runpy under a patched
environment (fast, no Django setup); one starts a real process to prove the
error reaches whoever starts the console.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from console.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]
# Everything settings.py reads that a developer or CI may have exported.
SETTINGS_VARS = (
    "DEBUG",
    "DEMO",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "SECURE_COOKIES",
    "DB_CONN_MAX_AGE",
    "SECURE_HSTS_SECONDS",
    "SECURE_SSL_REDIRECT",
    "BEHIND_TLS_PROXY",
    "ALLOWED_HOSTS",
    "EMAIL_BACKEND",
    "CONSOLE_VAR_DIR",
    "JSON_MAX_DEPTH",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
)


@pytest.fixture
def load_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Return a function that evaluates settings.py under the given variables."""
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONSOLE_VAR_DIR", str(tmp_path))

    def load(**env: str) -> dict:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(BASE_DIR / "console" / "settings.py"))

    return load


# --- the helpers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("ICC_FLAG", raw)
    assert env_bool("ICC_FLAG", not expected) is expected


def test_env_bool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("ICC_FLAG", raising=False)
    assert env_bool("ICC_FLAG", True) is True


def test_env_bool_refuses_anything_else_naming_the_variable(monkeypatch):
    monkeypatch.setenv("ICC_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"ICC_FLAG.*'maybe'"):
        env_bool("ICC_FLAG")


def test_env_int_parses_and_defaults(monkeypatch):
    monkeypatch.setenv("ICC_NUMBER", "42")
    assert env_int("ICC_NUMBER", 7) == 42
    monkeypatch.setenv("ICC_NUMBER", " ")
    assert env_int("ICC_NUMBER", 7) == 7


@pytest.mark.parametrize("raw", ["ten", "1.5", "0x10"])
def test_env_int_refuses_non_integers_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("ICC_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match="ICC_NUMBER must be an integer"):
        env_int("ICC_NUMBER", 7)


def test_env_int_enforces_the_minimum(monkeypatch):
    monkeypatch.setenv("ICC_NUMBER", "-1")
    with pytest.raises(ImproperlyConfigured, match="ICC_NUMBER must be at least 0"):
        env_int("ICC_NUMBER", 7, minimum=0)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("ICC_HOSTS", " a.example , b.example,, ")
    assert env_list("ICC_HOSTS", ["x"]) == ["a.example", "b.example"]
    monkeypatch.delenv("ICC_HOSTS")
    assert env_list("ICC_HOSTS", ["x"]) == ["x"]
    assert env_str("ICC_HOSTS", "d") == "d"


# --- settings.py as a whole ---------------------------------------------------------


def test_secret_key_is_required_outside_debug_and_demo(load_settings):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings()


@pytest.mark.parametrize("flag", ["DEBUG", "DEMO"])
def test_debug_or_demo_gets_a_demo_secret_key(load_settings, flag):
    settings = load_settings(**{flag: "1"})
    assert settings["SECRET_KEY"].startswith("demo-only")


def test_a_given_secret_key_is_used(load_settings):
    assert load_settings(SECRET_KEY="s3cret", DEMO="1")["SECRET_KEY"] == "s3cret"


def test_bad_boolean_names_the_variable(load_settings):
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be a boolean"):
        load_settings(SECRET_KEY="k", DEBUG="sometimes")


def test_bad_integer_names_the_variable(load_settings):
    with pytest.raises(ImproperlyConfigured, match="DB_CONN_MAX_AGE must be an integer"):
        load_settings(SECRET_KEY="k", DB_CONN_MAX_AGE="forever")


def test_negative_hsts_is_refused(load_settings):
    with pytest.raises(ImproperlyConfigured, match="SECURE_HSTS_SECONDS must be at least 0"):
        load_settings(SECRET_KEY="k", SECURE_HSTS_SECONDS="-5")


@pytest.mark.parametrize("url", ["mongodb://db/console", "localhost:5432/console"])
def test_database_url_with_an_unknown_scheme_is_refused(load_settings, url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        load_settings(SECRET_KEY="k", DATABASE_URL=url)


def test_database_url_selects_postgresql_with_persistent_connections(load_settings):
    db = load_settings(SECRET_KEY="k", DATABASE_URL="postgres://icc:pw@db.internal:5432/console")[
        "DATABASES"
    ]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "db.internal",
        5432,
        "console",
        "icc",
    )
    assert db["CONN_MAX_AGE"] == 600
    assert db["CONN_HEALTH_CHECKS"] is True


def test_unset_database_url_means_sqlite_in_the_var_dir(load_settings, tmp_path):
    db = load_settings(SECRET_KEY="k")["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "console.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize(
    "url", ["http://cache:6379/0", "127.0.0.1:6379", "redis+socket:///tmp/r.sock"]
)
def test_redis_url_with_a_bad_scheme_is_refused(load_settings, url):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        load_settings(SECRET_KEY="k", REDIS_URL=url)


def test_unset_redis_url_means_the_embedded_socket(load_settings, tmp_path):
    settings = load_settings(SECRET_KEY="k")
    socket = tmp_path / "redis" / "redis.sock"
    assert settings["REDIS_URL"] == f"unix://{socket}"
    assert settings["CELERY_BROKER_URL"] == f"redis+socket://{socket}"
    assert settings["CACHES"]["default"]["LOCATION"] == f"unix://{socket}"


def test_redis_url_is_used_by_broker_and_cache(load_settings):
    settings = load_settings(SECRET_KEY="k", REDIS_URL="redis://cache.internal:6379/2")
    assert settings["CELERY_BROKER_URL"] == "redis://cache.internal:6379/2"
    assert settings["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/2"


def test_cookies_are_secure_by_default(load_settings):
    settings = load_settings(SECRET_KEY="k")
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["DEBUG"] is False
    assert settings["MAILERS"]["default"]["BACKEND"].endswith("smtp.EmailBackend")


def test_demo_relaxes_cookies_and_mail(load_settings):
    settings = load_settings(DEMO="1")
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["CSRF_COOKIE_SECURE"] is False
    assert settings["MAILERS"]["default"]["BACKEND"].endswith("console.EmailBackend")


def test_secure_cookies_can_be_forced_in_the_demo(load_settings):
    assert load_settings(DEMO="1", SECURE_COOKIES="1")["SESSION_COOKIE_SECURE"] is True


def test_tls_proxy_header_only_when_asked(load_settings):
    assert "SECURE_PROXY_SSL_HEADER" not in load_settings(SECRET_KEY="k")
    settings = load_settings(SECRET_KEY="k", BEHIND_TLS_PROXY="1")
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_allowed_hosts_come_from_a_comma_separated_list(load_settings):
    assert load_settings(SECRET_KEY="k", ALLOWED_HOSTS="icc.example.com, .icc.internal")[
        "ALLOWED_HOSTS"
    ] == ["icc.example.com", ".icc.internal"]


def test_time_zone_support_and_csp_are_on(load_settings):
    settings = load_settings(SECRET_KEY="k")
    assert settings["USE_TZ"] is True
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in settings["MIDDLEWARE"]


def test_a_process_started_with_a_bad_value_stops_with_a_clear_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env.update(
        SECRET_KEY="k",
        REDIS_URL="http://nope",
        CONSOLE_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="console.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "REDIS_URL must start with redis://" in result.stderr


def test_a_process_started_with_good_values_sets_django_up(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env.update(
        SECRET_KEY="k", CONSOLE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="console.settings"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SESSION_COOKIE_SECURE)",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_rediss_verifies_the_certificate_for_broker_and_cache(load_settings):
    """kombu alone would accept any certificate on a bare rediss:// URL (#10, item 2)."""
    import ssl

    from django.core.cache.backends.redis import RedisCacheClient
    from kombu import Connection

    settings = load_settings(SECRET_KEY="k", REDIS_URL="rediss://icc:secret@cache.internal:6380/2")
    broker = Connection(settings["CELERY_BROKER_URL"])
    assert broker.ssl == {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    assert (broker.userid, broker.password, broker.port) == ("icc", "secret", 6380)
    location = settings["CACHES"]["default"]["LOCATION"]
    pool = RedisCacheClient([location])._get_connection_pool(write=True)
    connection = pool.make_connection()  # not connected: only its TLS options are read
    assert (connection.cert_reqs, connection.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert pool.connection_kwargs["password"] == "secret"


def test_rediss_keeps_an_explicit_certificate_choice(load_settings):
    from kombu import Connection

    settings = load_settings(
        SECRET_KEY="k", REDIS_URL="rediss://cache.internal:6380/2?ssl_cert_reqs=optional"
    )
    assert settings["CELERY_BROKER_URL"].count("ssl_cert_reqs") == 1
    assert Connection(settings["CELERY_BROKER_URL"]).ssl["ssl_cert_reqs"].name == "CERT_OPTIONAL"


def test_the_cache_uses_the_json_serializer(load_settings):
    settings = load_settings(SECRET_KEY="k")
    assert (
        settings["CACHES"]["default"]["OPTIONS"]["serializer"]
        == "console.cache_serializer.JSONSerializer"
    )


def test_json_depth_defaults_to_64_and_refuses_too_small_a_limit(load_settings):
    assert load_settings(SECRET_KEY="k")["JSON_MAX_DEPTH"] == 64
    with pytest.raises(ImproperlyConfigured, match="JSON_MAX_DEPTH must be at least 8"):
        load_settings(SECRET_KEY="k", JSON_MAX_DEPTH="2")


def test_json_is_the_only_api_parser(load_settings):
    settings = load_settings(SECRET_KEY="k")
    assert settings["REST_FRAMEWORK"]["DEFAULT_PARSER_CLASSES"] == ["kit.parsers.BoundedJSONParser"]


def test_hsts_covers_subdomains_and_preload_is_opt_in(load_settings):
    settings = load_settings(SECRET_KEY="k")
    assert (
        settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
        and settings["SECURE_HSTS_PRELOAD"] is False
    )
    assert load_settings(SECRET_KEY="k", SECURE_HSTS_PRELOAD="1")["SECURE_HSTS_PRELOAD"] is True


# --- login throttling (#10) -----------------------------------------------------


@pytest.mark.parametrize("name", ["LOGIN_FAILURE_LIMIT", "LOGIN_FAILURE_WINDOW"])
@pytest.mark.parametrize("value", ["0", "ten", "-3", "1.5"])
def test_bad_login_throttling_values_fail_loudly(load_settings, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings(SECRET_KEY="k", **{name: value})


def test_login_throttling_reads_minutes(load_settings):
    settings = load_settings(SECRET_KEY="k", LOGIN_FAILURE_LIMIT="5", LOGIN_FAILURE_WINDOW="30")
    assert settings["AXES_FAILURE_LIMIT"] == 5
    assert settings["AXES_COOLOFF_TIME"].total_seconds() == 30 * 60
