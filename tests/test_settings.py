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
