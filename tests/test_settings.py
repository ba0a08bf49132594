"""Settings come from the environment and fail loudly on bad values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hotwash.envconfig import ConfigurationError, env_bool, env_int, env_list

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter, as `hotwash` would."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "hotwash.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_mode_refuses_the_development_secret_key(tmp_path: Path) -> None:
    env = {"HOTWASH_PRODUCTION": "1", "HOTWASH_DATA_DIR": str(tmp_path)}
    env.pop("HOTWASH_SECRET_KEY", None)
    result = _start({**env, "HOTWASH_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "HOTWASH_SECRET_KEY" in result.stderr


def test_production_mode_starts_with_a_real_secret_key(tmp_path: Path) -> None:
    result = _start(
        {
            "HOTWASH_PRODUCTION": "1",
            "HOTWASH_SECRET_KEY": "k" * 50,
            "HOTWASH_ALLOWED_HOSTS": "hotwash.example.org",
            "HOTWASH_DATA_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HOTWASH_PRODUCTION": "maybe"}, "HOTWASH_PRODUCTION"),
        ({"HOTWASH_MAX_BODY_BYTES": "lots"}, "HOTWASH_MAX_BODY_BYTES"),
        ({"DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"HOTWASH_METRICS_TOKEN": "too-short"}, "HOTWASH_METRICS_TOKEN"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = _start({**env, "HOTWASH_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert named in result.stderr


def test_a_malformed_policy_file_stops_start_up_naming_the_key(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("default_severity: 9\n", encoding="utf-8")
    result = _start({"HOTWASH_POLICY_FILE": str(policy), "HOTWASH_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "default_severity" in result.stderr


def test_a_policy_file_can_redefine_severities(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    levels = "\n".join(
        f"  {n}:\n    name: {{en: Level {n}, fr: Niveau {n}}}\n"
        f"    description: {{en: Defined here {n}., fr: Défini ici {n}.}}"
        for n in range(1, 5)
    )
    policy.write_text(f"severities:\n{levels}\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from django.utils import translation;"
            "from hotwash.incidents.display import severity_description as d;"
            "translation.activate('fr'); print(d(2))",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hotwash.settings",
            "HOTWASH_POLICY_FILE": str(policy),
            "HOTWASH_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Défini ici 2."


def test_the_typed_helpers_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "perhaps")
    with pytest.raises(ConfigurationError, match="X_FLAG"):
        env_bool("X_FLAG", False)
    monkeypatch.setenv("X_NUMBER", "3")
    with pytest.raises(ConfigurationError, match="at least 10"):
        env_int("X_NUMBER", 20, minimum=10)
    monkeypatch.setenv("X_LIST", " a, ,b ")
    assert env_list("X_LIST", []) == ["a", "b"]


def _setting(tmp_path: Path, name: str, env: dict[str, str]) -> str:
    """One setting's value as a fresh process loads it, with `env` added to
    an environment that names none of Hotwash's debug or security variables."""
    base = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "HOTWASH_DEBUG",
            "HOTWASH_PRODUCTION",
            "HOTWASH_HSTS_SECONDS",
            "HOTWASH_FORWARDED_PROTO_HEADER",
        }
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings;"
            f"print(repr(getattr(settings, {name!r}, None)))",
        ],
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "hotwash.settings",
            "HOTWASH_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("env", "debug"),
    [
        ({}, "False"),
        ({"HOTWASH_PRODUCTION": "0"}, "False"),
        ({"HOTWASH_DEBUG": "0"}, "False"),
        ({"HOTWASH_DEBUG": "1"}, "True"),
    ],
    ids=["nothing-set", "not-production", "debug-0", "debug-1"],
)
def test_debug_is_off_unless_hotwash_debug_turns_it_on(
    tmp_path: Path, env: dict[str, str], debug: str
) -> None:
    assert _setting(tmp_path, "DEBUG", env) == debug


def test_production_mode_refuses_debug(tmp_path: Path) -> None:
    result = _start(
        {
            "HOTWASH_PRODUCTION": "1",
            "HOTWASH_DEBUG": "1",
            "HOTWASH_SECRET_KEY": "k" * 50,
            "HOTWASH_DATA_DIR": str(tmp_path),
        }
    )
    assert result.returncode != 0
    assert "HOTWASH_DEBUG" in result.stderr


def test_hsts_is_sent_only_when_hotwash_hsts_seconds_says_for_how_long(tmp_path: Path) -> None:
    assert _setting(tmp_path, "SECURE_HSTS_SECONDS", {}) == "0"
    assert (
        _setting(tmp_path, "SECURE_HSTS_SECONDS", {"HOTWASH_HSTS_SECONDS": "31536000"})
        == "31536000"
    )
    result = _start({"HOTWASH_HSTS_SECONDS": "a year", "HOTWASH_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "HOTWASH_HSTS_SECONDS" in result.stderr


def test_a_tls_proxys_header_is_trusted_only_when_named(tmp_path: Path) -> None:
    assert _setting(tmp_path, "SECURE_PROXY_SSL_HEADER", {}) == "None"
    named = {"HOTWASH_FORWARDED_PROTO_HEADER": "X-Forwarded-Proto"}
    assert _setting(tmp_path, "SECURE_PROXY_SSL_HEADER", named) == str(
        ("HTTP_X_FORWARDED_PROTO", "https")
    )


def _settings(tmp_path: Path, names: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Settings as a fresh process loads them from `env` alone: none of
    Hotwash's variables from the surrounding environment (the database's
    aside) leak in."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HOTWASH_") or key == "HOTWASH_TEST_DATABASE_NAME"
    }
    code = (
        "import django, json; django.setup(); from django.conf import settings;"
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "hotwash.settings",
            "HOTWASH_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


# Each variable once read where it was used, now read by settings.py into a
# setting: (variable, value, setting, the setting's value).
READ_IN_SETTINGS = [
    ("HOTWASH_WORKER_INTERVAL", "0.25", "WORKER_INTERVAL", 0.25),
    ("HOTWASH_TASK_MAX_ATTEMPTS", "3", "TASK_MAX_ATTEMPTS", 3),
    ("HOTWASH_TASK_RETRY_SECONDS", "7.5", "TASK_RETRY_SECONDS", 7.5),
    ("HOTWASH_REMINDER_DAYS_BEFORE", "5", "REMINDER_DAYS_BEFORE", 5),
    ("HOTWASH_OVERDUE_NOTICE_DAYS", "2", "OVERDUE_NOTICE_DAYS", 2),
    ("HOTWASH_DIGEST_WEEKDAY", "Fri", "DIGEST_WEEKDAY", 5),
    ("HOTWASH_DIGEST_HOUR", "17", "DIGEST_HOUR", 17),
    ("HOTWASH_NOTIFICATION_SCAN_SECONDS", "60", "NOTIFICATION_SCAN_SECONDS", 60.0),
    ("HOTWASH_WEBHOOK_TIMEOUT", "4", "WEBHOOK_TIMEOUT", 4.0),
    ("HOTWASH_WORKERS", "3", "SERVER_WORKERS", 3),
    ("HOTWASH_THREADS", "64", "SERVER_THREADS", 64),
    ("HOTWASH_TRACKER_POLL_SECONDS", "120", "TRACKER_POLL_SECONDS", 120),
    (
        "HOTWASH_TRACKER_SECRET_DIRS",
        "/srv/keys, /run/x",
        "TRACKER_SECRET_DIRS",
        ["/srv/keys", "/run/x"],
    ),
    ("HOTWASH_EMAIL_HOST", "mail.internal", "EMAIL_HOST", "mail.internal"),
    ("HOTWASH_EMAIL_PORT", "2525", "EMAIL_PORT", 2525),
    ("HOTWASH_EMAIL_USER", "hotwash", "EMAIL_HOST_USER", "hotwash"),
    ("HOTWASH_EMAIL_PASSWORD", "secret", "EMAIL_HOST_PASSWORD", "secret"),
    ("HOTWASH_EMAIL_USE_TLS", "yes", "EMAIL_USE_TLS", True),
    ("HOTWASH_EMAIL_TIMEOUT", "3", "EMAIL_TIMEOUT", 3.0),
    (
        "HOTWASH_EMAIL_FROM",
        "Hotwash <hw@example.org>",
        "DEFAULT_FROM_EMAIL",
        "Hotwash <hw@example.org>",
    ),
    ("HOTWASH_EMAIL_FROM", "Hotwash <hw@example.org>", "SERVER_EMAIL", "Hotwash <hw@example.org>"),
]


def test_every_variable_is_read_into_a_setting(tmp_path: Path) -> None:
    env = {variable: value for variable, value, _setting_name, _expected in READ_IN_SETTINGS}
    names = [name for _variable, _value, name, _expected in READ_IN_SETTINGS]
    loaded = _settings(tmp_path, [*names, "EMAIL_BACKEND", "EMAIL_USE_SSL"], env)
    assert {name: loaded[name] for name in names} == {
        name: expected for _variable, _value, name, expected in READ_IN_SETTINGS
    }
    # The separate variables name a server: mail goes out over SMTP.
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["EMAIL_USE_SSL"] is False


MAIL = [
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
    "DEFAULT_FROM_EMAIL",
    "SERVER_EMAIL",
]


def test_mail_goes_through_djangos_email_settings_from_one_url(tmp_path: Path) -> None:
    """Hotwash's notifications and Django's own mail alike: the URL wins
    over the separate variables."""
    env = {
        "HOTWASH_SMTP_URL": "smtps://hotwash%40example.org:p%40ss@smtp.example.org",
        "HOTWASH_EMAIL_HOST": "ignored.example.org",
    }
    assert _settings(tmp_path, MAIL, env) == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.org",
        "EMAIL_PORT": 465,
        "EMAIL_HOST_USER": "hotwash@example.org",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": True,
        "EMAIL_TIMEOUT": 10.0,
        "DEFAULT_FROM_EMAIL": "Hotwash <hotwash@localhost>",
        "SERVER_EMAIL": "Hotwash <hotwash@localhost>",
    }


def test_without_an_smtp_server_mail_is_printed_not_sent_to_localhost(tmp_path: Path) -> None:
    loaded = _settings(tmp_path, ["EMAIL_BACKEND", "EMAIL_PORT"], {})
    assert loaded == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "EMAIL_PORT": 25,
    }
    ssl = _settings(tmp_path, ["EMAIL_PORT"], {"HOTWASH_EMAIL_USE_SSL": "1"})
    assert ssl == {"EMAIL_PORT": 465}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HOTWASH_SMTP_URL": "http://mail.example.org"}, "HOTWASH_SMTP_URL"),
        (
            {"HOTWASH_EMAIL_USE_TLS": "1", "HOTWASH_EMAIL_USE_SSL": "1"},
            "exclude each other",
        ),
        ({"HOTWASH_THREADS": "2"}, "HOTWASH_THREADS"),
    ],
    ids=["smtp-url", "tls-and-ssl", "threads"],
)
def test_a_bad_moved_value_stops_start_up_naming_it(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = _start({**env, "HOTWASH_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert named in result.stderr
