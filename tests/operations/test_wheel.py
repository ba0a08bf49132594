"""The built wheel is a whole Hotwash: a bare install of it serves.

Builds the sdist from a copy of the checkout and the wheel from that sdist
(`python -m build`'s default, so a wheel built from the published sdist is
the one tested), then installs the wheel into a fresh virtual environment
with nothing else and runs it the way an operator would: `hotwash migrate`,
`hotwash check`, `hotwash serve`, a page and its static files. The build and
the install happen once per module; pip's cache makes the install quick.

The installed Hotwash uses its own SQLite file in a temporary data folder,
whatever database the suite runs on.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import httpx
import pytest
from django.utils import translation

from tests.support.servers import free_port, stop

# The installed wheel runs on its embedded SQLite whatever the suite's
# database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = [pytest.mark.server, pytest.mark.database_independent]

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "hotwash"
# Left out of the copy the build starts from (paths from the checkout's root):
# what a build never reads, or must not find left over from a developer's run.
NOT_COPIED = {
    *(".git", ".venv", "node_modules", "data", "build", "dist", "bench/results"),
    *(".pytest_cache", ".mypy_cache", ".ruff_cache"),
}
BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 600
COMMAND_TIMEOUT = 120
START_TIMEOUT = 60.0
STATIC_LINK = re.compile(r'(?:href|src)="(/static/[^"?#]+)')

# What the wheel must carry besides code, as patterns over its file names.
PACKAGE_DATA = {
    "templates": "hotwash/*templates/*.html",
    "static files": "hotwash/*static/*",
    "compiled catalogues": "hotwash/*locale/fr/LC_MESSAGES/django.mo",
    "the default policies": "hotwash/policies/defaults.yaml",
    "the default trigger policies": "hotwash/triggers/defaults.yaml",
    "the blameless rules": "hotwash/blameless/rules/*.yaml",
    "the postmortem templates": "hotwash/postmortems/outlines/*.yaml",
    "the update starting texts": "hotwash/statuspage/update_templates.yaml",
}


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


@dataclass(frozen=True)
class Installed:
    venv: Path
    home: Path
    data_dir: Path
    env: dict[str, str]

    def command(self, *args: str) -> list[str]:
        return [str(self.venv / "bin" / "hotwash"), *args]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )


def package_files() -> set[str]:
    """Every file of the package in the checkout, as `hotwash/...`."""
    return {
        str(path.relative_to(SOURCE.parent))
        for path in SOURCE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def _skip_for_build(directory: str, names: list[str]) -> set[str]:
    here = Path(directory).relative_to(ROOT)
    return {
        name
        for name in names
        if name == "__pycache__"
        or name.endswith(".egg-info")
        or (here / name).as_posix() in NOT_COPIED
    }


def _checked(result: subprocess.CompletedProcess[str], what: str) -> str:
    if result.returncode != 0:
        pytest.fail(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    # A copy, so concurrent runs (make test runs SQLite and PostgreSQL side by
    # side) never write the same egg-info in the checkout.
    checkout = tmp_path_factory.mktemp("checkout") / "hotwash"
    shutil.copytree(ROOT, checkout, ignore=_skip_for_build)
    out = checkout.parent / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(checkout)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    _checked(result, "python -m build")
    (wheel,) = out.glob("hotwash-*.whl")
    (sdist,) = out.glob("hotwash-*.tar.gz")
    return Built(wheel, sdist)


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("installed")
    venv, home = base / "venv", base / "home"
    home.mkdir()
    _checked(
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        ),
        "python -m venv",
    )
    # Only the wheel is installed; its dependencies come from the index at
    # the tested versions (a constraint limits versions, it installs nothing).
    _checked(
        subprocess.run(
            [
                *(str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"),
                *("--disable-pip-version-check", str(built.wheel)),
                *("--constraint", str(ROOT / "requirements.txt")),
            ],
            env=_outside_env(venv),
            cwd=home,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        ),
        "pip install of the wheel",
    )
    data_dir = home / "data"
    env = _outside_env(venv) | {"HOTWASH_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    return Installed(venv, home, data_dir, env)


def _outside_env(venv: Path) -> dict[str, str]:
    """This environment without what points at the checkout or the suite's
    database and settings; the new virtual environment first on PATH."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOTWASH_", "DJANGO_", "PYTHON", "VIRTUAL_ENV"))
        and name != "DATABASE_URL"
    }
    return kept | {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_the_wheel_carries_every_file_of_the_package(built: Built) -> None:
    names = set(zipfile.ZipFile(built.wheel).namelist())
    missing = sorted(package_files() - names)
    assert not missing, f"{len(missing)} files of src/hotwash are not in the wheel: {missing[:20]}"
    for kind, pattern in PACKAGE_DATA.items():
        assert any(fnmatch(name, pattern) for name in names), f"the wheel has no {kind} ({pattern})"
    uncompiled = [
        name
        for name in names
        if name.endswith(".po") and name.removesuffix(".po") + ".mo" not in names
    ]
    assert not uncompiled, f"catalogues without their compiled .mo: {uncompiled}"
    (entry_points,) = (name for name in names if name.endswith(".dist-info/entry_points.txt"))
    scripts = zipfile.ZipFile(built.wheel).read(entry_points).decode()
    assert "hotwash = hotwash.cli:main" in scripts
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), (
        "the wheel carries no licence text"
    )


def test_the_sdist_carries_the_package_and_the_project_files(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        top = built.sdist.name.removesuffix(".tar.gz")
        names = {name.removeprefix(f"{top}/") for name in sdist.getnames()}
    wanted = {"pyproject.toml", "README.md", "LICENSE"} | {
        f"src/{name}" for name in package_files()
    }
    missing = sorted(wanted - names)
    assert not missing, f"{len(missing)} files are not in the sdist: {missing[:20]}"


def test_the_installed_hotwash_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    result = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", "import hotwash; print(hotwash.__file__)"],
        env=installed.env,
        cwd=installed.home,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    location = Path(_checked(result, "import hotwash").strip())
    assert location.is_relative_to(installed.venv), location


def test_the_installed_wheel_migrates_checks_and_serves_pages_with_static_files(
    installed: Installed,
) -> None:
    _checked(installed.run("migrate", "--no-input"), "hotwash migrate")
    assert (installed.data_dir / "hotwash.sqlite3").is_file()
    assert "no issues" in _checked(installed.run("check"), "hotwash check")

    with _serving(installed) as url:
        page = httpx.get(f"{url}/", follow_redirects=True, timeout=10)
        assert page.status_code == 200, page.text
        assert page.url.path == "/en/accounts/login/"
        links = STATIC_LINK.findall(page.text)
        assert links, f"the sign-in page links no static file:\n{page.text}"
        for link in links:
            _assert_served_as_shipped(url, link, _shipped_static(link))
        # A dependency's static files too (collected from the installed
        # Django, not from a checkout).
        admin_css = "/static/admin/css/base.css"
        _assert_served_as_shipped(url, admin_css, _installed_django_static(installed, admin_css))

        french = httpx.get(f"{url}/fr/accounts/login/", timeout=10)
        with translation.override("fr"):
            heading = translation.gettext("Sign in to Hotwash")
        assert heading != "Sign in to Hotwash"
        assert heading in french.text, "the compiled French catalogue was not used"


def _assert_served_as_shipped(url: str, link: str, source: Path) -> None:
    response = httpx.get(f"{url}{link}", timeout=10)
    assert response.status_code == 200, f"{link}: {response.status_code}"
    assert response.content == source.read_bytes(), f"{link} differs from {source}"


def _shipped_static(link: str) -> Path:
    """The checkout's file behind a /static/ link (the project's or an app's)."""
    relative = link.removeprefix("/static/")
    for folder in [SOURCE / "static", *SOURCE.glob("*/static")]:
        if (folder / relative).is_file():
            return folder / relative
    raise AssertionError(f"{link} is served but no static folder of src/hotwash has it")


def _installed_django_static(installed: Installed, link: str) -> Path:
    (django,) = installed.venv.glob("lib/python*/site-packages/django")
    return django / "contrib" / "admin" / "static" / link.removeprefix("/static/")


@contextlib.contextmanager
def _serving(installed: Installed) -> Iterator[str]:
    """`hotwash serve` from the installed wheel on a free loopback port;
    stopped afterwards (SIGTERM, then SIGKILL after a bounded wait)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = installed.home / f"serve-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*installed.command("serve"), "--host", "127.0.0.1", "--port", str(port)],
            env=installed.env,
            cwd=installed.home,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            _wait_until_up(f"{url}/en/accounts/login/", process, log_path)
            yield url
        finally:
            stop(process)


def _wait_until_up(page: str, process: subprocess.Popen[str], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"hotwash serve exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(page, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"hotwash serve did not answer in {START_TIMEOUT} s:\n{log_path.read_text()}")
