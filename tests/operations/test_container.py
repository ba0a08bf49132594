"""The Dockerfile and compose.yaml agree with the project.

No image can be built here (no base image can be pulled, no Docker engine
runs), so this checks what a build and a `docker compose up` would rely on:
the console script and its commands, the port, the health path, the
settings they set (read by settings.py and documented), the user, the
volumes, and that compose's production settings pass `check --deploy`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands
from django.urls import Resolver404, resolve

from hotwash.core.management.commands.serve import Command as ServeCommand

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_SOURCE = (ROOT / "src" / "hotwash" / "settings.py").read_text(encoding="utf-8")
DOCS = "\n".join(
    path.read_text(encoding="utf-8") for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
)
# The interpreter's and the shell's, not Hotwash's settings.
NOT_SETTINGS = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, instruction: str) -> list[str]:
        return [args for name, args in self.instructions if name == instruction]

    def last(self, instruction: str) -> str:
        found = self.all(instruction)
        assert found, f"the final stage has no {instruction}"
        return found[-1]


def dockerfile_stages() -> list[Stage]:
    """The Dockerfile's stages, each with its instructions (continuation
    lines joined, comments dropped)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical: list[str] = []
    current = ""
    for line in text.splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            logical.append(" ".join(current.split()))
            current = ""
    stages: list[Stage] = []
    for instruction in logical:
        name, _space, args = instruction.partition(" ")
        if name.upper() == "FROM":
            base, *alias = args.split()
            stages.append(Stage(base, alias[-1] if alias else None))
        elif stages:
            stages[-1].instructions.append((name.upper(), args))
    return stages


def exec_form(args: str) -> list[str]:
    """A JSON-array (exec form) CMD or HEALTHCHECK CMD."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(item, str) for item in value), args
    return value


def env_names(args: str) -> dict[str, str]:
    """ENV NAME=value NAME=value ..."""
    return dict(item.split("=", 1) for item in shlex.split(args))


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def hotwash_services() -> dict[str, dict[str, Any]]:
    """The services that run Hotwash's image (all but the database)."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if not str(service.get("image", "")).startswith("postgres")
    }


def serve_options(command: list[str]) -> dict[str, Any]:
    """`hotwash serve ...` parsed by the serve command's own parser."""
    assert command[:2] == ["hotwash", "serve"], command
    parser = ServeCommand().create_parser("hotwash", "serve")
    return vars(parser.parse_args(command[2:]))


def final_stage() -> Stage:
    return dockerfile_stages()[-1]


def exposed_port() -> int:
    [port] = final_stage().last("EXPOSE").split()
    return int(port.removesuffix("/tcp"))


def test_the_image_is_built_in_two_stages_from_the_checkout() -> None:
    build, run = dockerfile_stages()
    assert build.name is not None
    assert any("pip wheel" in args for args in build.all("RUN")), "the first stage builds a wheel"
    assert build.base.split(":")[0] == run.base.split(":")[0] == "python"
    assert run.base.endswith("-slim"), run.base
    [install] = [args for args in run.all("RUN") if f"from={build.name}" in args]
    assert "-r /tmp/requirements.txt" in install, "the pinned set, as tested"
    assert "/wheels/*.whl" in install


def test_it_runs_as_a_user_that_is_not_root() -> None:
    user = final_stage().last("USER")
    uid, _colon, gid = user.partition(":")
    assert uid not in ("", "0", "root") and gid not in ("0", "root"), user
    created = " ".join(final_stage().all("RUN"))
    assert f"--uid {uid}" in created, "the user is created in the image"


def test_the_default_command_is_the_server_on_every_address() -> None:
    command = exec_form(final_stage().last("CMD"))
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert command[0] in scripts, f"{command[0]} is not a console script of the package"
    assert command[1] in get_commands(), f"hotwash {command[1]} is not a command"
    options = serve_options(command)
    assert options["host"] == "0.0.0.0"
    assert options["port"] == exposed_port()


def test_the_health_check_calls_a_real_health_url_on_the_exposed_port() -> None:
    check = final_stage().last("HEALTHCHECK")
    probe = exec_form(check[check.index("CMD") + len("CMD") :].strip())
    assert probe[:2] == ["python", "-c"], "slim images have no curl: Python's urllib"
    match = re.search(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/[^'\"]*)", probe[2])
    assert match, probe
    assert int(match[1]) == exposed_port()
    try:
        resolve(match[2])
    except Resolver404:
        pytest.fail(f"{match[2]} is not a URL of Hotwash (hotwash.urls)", pytrace=False)


def test_the_data_folder_is_a_volume_the_user_owns() -> None:
    env: dict[str, str] = {}
    for args in final_stage().all("ENV"):
        env |= env_names(args)
    data_dir = env["HOTWASH_DATA_DIR"]
    assert data_dir in json.loads(final_stage().last("VOLUME"))
    assert f"chown hotwash:hotwash {data_dir}" in " ".join(final_stage().all("RUN"))
    for service in hotwash_services().values():
        assert f"hotwash-data:{data_dir}" in service["volumes"]


def _read_by_settings(name: str) -> bool:
    return re.search(rf"env_\w+\(\s*\"{name}\"", SETTINGS_SOURCE) is not None


def _set_variables() -> list[str]:
    names: set[str] = set()
    for args in final_stage().all("ENV"):
        names |= set(env_names(args))
    for service in hotwash_services().values():
        names |= set(service["environment"])
    return sorted(names - NOT_SETTINGS)


@pytest.mark.parametrize("variable", _set_variables())
def test_every_variable_set_is_a_documented_setting(variable: str) -> None:
    assert _read_by_settings(variable), f"{variable} is set but settings.py does not read it"
    assert f"`{variable}`" in DOCS, f"{variable} is set but not documented"


def test_the_services_share_one_image_build() -> None:
    services = hotwash_services()
    assert set(services) == {"migrate", "web", "worker"}
    builds = {json.dumps(service["build"]) for service in services.values()}
    images = {service["image"] for service in services.values()}
    assert builds == {'"."'} and len(images) == 1, (builds, images)


def test_every_service_runs_a_real_command() -> None:
    commands = {name: service["command"] for name, service in hotwash_services().items()}
    for name, command in commands.items():
        assert command[0] == "hotwash" and command[1] in get_commands(), (name, command)
    assert commands["migrate"][:2] == ["hotwash", "migrate"]
    assert commands["worker"][:2] == ["hotwash", "worker"]
    assert commands["web"] == exec_form(final_stage().last("CMD"))


def test_the_web_server_is_published_on_its_port() -> None:
    web = hotwash_services()["web"]
    port = serve_options(web["command"])["port"]
    [published] = web["ports"]
    assert int(published.rsplit(":", 1)[1]) == port == exposed_port()


def test_migrations_run_once_the_database_is_healthy_and_before_the_rest() -> None:
    db = compose()["services"]["db"]
    assert db["healthcheck"]["test"], "PostgreSQL has its own health check"
    services = hotwash_services()
    for name, service in services.items():
        assert service["depends_on"]["db"]["condition"] == "service_healthy", name
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name
    # The image's health check calls the web server; the others serve none.
    assert services["worker"]["healthcheck"] == {"disable": True}


def test_named_volumes_keep_the_data() -> None:
    declared = set(compose()["volumes"])
    mounts = [m for s in compose()["services"].values() for m in s.get("volumes", [])]
    assert declared == {mount.split(":")[0] for mount in mounts}
    assert "postgres-data:/var/lib/postgresql/data" in compose()["services"]["db"]["volumes"]


def test_secrets_come_from_the_environment_and_stop_compose_when_missing() -> None:
    environments = [service["environment"] for service in compose()["services"].values()]
    secret_values = [
        value
        for environment in environments
        for name, value in environment.items()
        if "SECRET" in name or "PASSWORD" in name or name == "DATABASE_URL"
    ]
    assert secret_values
    for value in secret_values:
        # Any secret in the value is a ${NAME:?message} that stops compose.
        literal = re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "", value)
        assert "${" not in literal and not re.search(r":[^/@]+@", literal), value


def _substituted(value: str, given: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:?message} and ${NAME:-default}."""

    def one(match: re.Match[str]) -> str:
        name, operator, rest = match[1], match[2] or "", match[3] or ""
        return given.get(name, rest if operator == ":-" else "")

    return re.sub(r"\$\{([A-Z_]+)(:[?-])?([^}]*)\}", one, value)


def test_compose_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    given = {
        "HOTWASH_SECRET_KEY": secrets.token_urlsafe(48),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "HOTWASH_DOMAIN": "hotwash.example.org",
    }
    web = hotwash_services()["web"]["environment"]
    env = {name: _substituted(str(value), given) for name, value in web.items()}
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOTWASH_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-m", "hotwash", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, **env, "HOTWASH_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
