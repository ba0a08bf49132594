"""pyproject.toml, requirements.txt and requirements-dev.txt agree with the code.

`pip install hotwash` reads only pyproject's `dependencies` (ranges); `make`
installs requirements.txt (the exact runtime set, transitive dependencies
included) and requirements-dev.txt (tests and tools). A library added to one
file and forgotten in another breaks either a bare install or a reproducible
one, so every direction is checked here against the imports in src/hotwash
and the installed distributions' own metadata.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "hotwash"
RUNTIME_PINS = ROOT / "requirements.txt"
DEV_PINS = ROOT / "requirements-dev.txt"


@dataclass(frozen=True)
class Pin:
    name: NormalizedName
    version: Version
    line: int


def declared() -> dict[NormalizedName, Requirement]:
    """pyproject's `dependencies`, by normalised distribution name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = (Requirement(text) for text in project["dependencies"])
    return {canonicalize_name(req.name): req for req in requirements}


def pin_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The requirement lines of a pins file, without comments and `-r` includes."""
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-r "):
            yield number, line


def pins(path: Path) -> dict[NormalizedName, Pin]:
    """The exact pins of a file; test_pins_are_exact reports any other line."""
    found: dict[NormalizedName, Pin] = {}
    for number, line in pin_lines(path):
        pinned = exact_pin(line)
        if pinned is not None:
            name, version = pinned
            found[name] = Pin(name, version, number)
    return found


def exact_pin(line: str) -> tuple[NormalizedName, Version] | None:
    try:
        req = Requirement(line)
    except InvalidRequirement:
        return None
    specifiers = list(req.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==" or req.marker or req.extras:
        return None
    return canonicalize_name(req.name), Version(specifiers[0].version)


def third_party_imports() -> dict[str, set[str]]:
    """Top-level modules that src/hotwash imports when it runs, each with the
    files importing it. Imports under `if TYPE_CHECKING:` are left out: they
    never run."""
    imported: dict[str, set[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        where = str(path.relative_to(SOURCE.parent))
        for module in _runtime_imports(ast.parse(path.read_text(), filename=where)):
            top = module.split(".", 1)[0]
            if top not in sys.stdlib_module_names and top not in ("hotwash", "__future__"):
                imported.setdefault(top, set()).add(where)
    for module in modules_named_in_settings():
        top = module.split(".", 1)[0]
        if top not in sys.stdlib_module_names and top != "hotwash":
            imported.setdefault(top, set()).add("hotwash/settings.py (by name)")
    return imported


def _runtime_imports(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.If) and _is_type_checking(node.test):
        for statement in node.orelse:
            yield from _runtime_imports(statement)
        return
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        yield node.module
    for child in ast.iter_child_nodes(node):
        yield from _runtime_imports(child)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def modules_named_in_settings() -> list[str]:
    """Modules Django imports by dotted name from the settings, not by an
    import statement: apps, middleware, backends."""
    named: list[str] = [
        *settings.INSTALLED_APPS,
        *settings.MIDDLEWARE,
        *settings.AUTHENTICATION_BACKENDS,
    ]
    named += [str(backend["BACKEND"]) for backend in settings.TASKS.values()]
    named += [str(template["BACKEND"]) for template in settings.TEMPLATES]
    named += [str(database["ENGINE"]) for database in settings.DATABASES.values()]
    return named


@cache
def runtime_closure() -> dict[NormalizedName, str]:
    """Every distribution a runtime install needs (pyproject's dependencies,
    then what each requires by its installed metadata, honouring extras and
    markers), each with the distribution that first asked for it."""
    wanted_by: dict[NormalizedName, str] = {}
    extras_done: dict[NormalizedName, set[str]] = {}
    queue = [(req, "pyproject.toml") for req in declared().values()]
    while queue:
        req, parent = queue.pop(0)
        name = canonicalize_name(req.name)
        wanted_by.setdefault(name, parent)
        extras = set(req.extras) | {""}
        new_extras = extras - extras_done.get(name, set())
        if not new_extras:
            continue
        extras_done.setdefault(name, set()).update(new_extras)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue  # test_installed_versions_match_the_pins names it
        for text in requires:
            child = Requirement(text)
            if child.marker is None or any(
                child.marker.evaluate({"extra": extra}) for extra in new_extras
            ):
                queue.append((child, name))
    return wanted_by


def fail_with(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_every_imported_library_is_declared_in_pyproject() -> None:
    providers = packages_distributions()
    dependencies = declared()
    problems = []
    for module, files in sorted(third_party_imports().items()):
        where = ", ".join(sorted(files)[:3])
        distributions = {canonicalize_name(name) for name in providers.get(module, [])}
        if not distributions:
            problems.append(
                f"{module} (imported by {where}) comes from no installed distribution: "
                "pin it in requirements.txt, declare it in pyproject.toml, run make"
            )
        elif not distributions & dependencies.keys():
            names = " or ".join(sorted(distributions))
            problems.append(
                f"{names} is not in pyproject.toml's dependencies, yet {where} imports "
                f"{module}: declare it there with a range (a bare pip install lacks it)"
            )
    fail_with(problems)


def test_every_declared_dependency_is_pinned_in_requirements_txt_within_its_range() -> None:
    runtime, dev = pins(RUNTIME_PINS), pins(DEV_PINS)
    problems = []
    for name, req in sorted(declared().items()):
        pin = runtime.get(name)
        if pin is None:
            place = " (only in requirements-dev.txt)" if name in dev else ""
            problems.append(
                f"{name} is declared in pyproject.toml but not pinned in requirements.txt{place}"
            )
        elif not req.specifier.contains(pin.version, prereleases=True):
            problems.append(
                f"{name}=={pin.version} (requirements.txt line {pin.line}) is outside "
                f"pyproject.toml's range {req.specifier}"
            )
    fail_with(problems)


def test_every_runtime_pin_is_a_declared_dependency_or_required_by_one() -> None:
    needed = runtime_closure()
    problems = [
        f"{name}=={pin.version} (requirements.txt line {pin.line}) is neither declared in "
        "pyproject.toml nor required by a declared dependency: declare it, or move it to "
        "requirements-dev.txt if only tests and tools use it"
        for name, pin in sorted(pins(RUNTIME_PINS).items())
        if name not in needed
    ]
    fail_with(problems)


def test_requirements_txt_pins_everything_a_runtime_install_needs() -> None:
    runtime, dev = pins(RUNTIME_PINS), pins(DEV_PINS)
    problems = []
    for name, parent in sorted(runtime_closure().items()):
        if name in runtime:
            continue
        if name in dev:
            problems.append(
                f"{name} (required by {parent}) is pinned only in requirements-dev.txt: "
                "runtime pins belong in requirements.txt"
            )
        else:
            problems.append(f"{name} (required by {parent}) is not pinned in requirements.txt")
    fail_with(problems)


def test_pins_are_exact_and_each_distribution_is_pinned_once() -> None:
    problems = []
    seen: dict[NormalizedName, str] = {}
    for path in (RUNTIME_PINS, DEV_PINS):
        for number, line in pin_lines(path):
            where = f"{path.name} line {number}"
            pinned = exact_pin(line)
            if pinned is None:
                problems.append(f"{where}: {line!r} is not an exact pin (name==version)")
                continue
            name = pinned[0]
            if name in seen:
                problems.append(f"{name} is pinned twice: {seen[name]} and {where}")
            seen[name] = where
    fail_with(problems)


def test_installed_versions_match_the_pins() -> None:
    """The closure above reads installed metadata, so it must be the pinned
    set's; `make` reinstalls when a requirements file changes."""
    problems = []
    for name, pin in sorted((pins(DEV_PINS) | pins(RUNTIME_PINS)).items()):
        try:
            installed = Version(distribution(name).version)
        except PackageNotFoundError:
            problems.append(f"{name}=={pin.version} is pinned but not installed: run make")
            continue
        if installed != pin.version:
            problems.append(f"{name} {installed} is installed, {pin.version} pinned: run make")
    fail_with(problems)
