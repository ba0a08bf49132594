"""Settings come from the environment and fail loudly on bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotwash.envconfig import ConfigurationError, env_bool, env_int, env_list


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
