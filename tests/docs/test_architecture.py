"""docs/architecture.md cannot go stale: every package under `hotwash` has
its section there (saying whether it is an installed app), every top-level
module its line, every signal connection in `hotwash.wiring.reactions` its
row in the signal table, and the README's short list names the same packages
in the same order.

When the signal table is out of step, the failure prints its first three
columns as the code has them, to paste."""

from __future__ import annotations

import re
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.dispatch import Signal

import hotwash
from hotwash.wiring import reactions

# Touches no database: the SQLite suite runs it, the PostgreSQL one skips it.
pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
README = ROOT / "README.md"
SOURCE = Path(hotwash.__file__).parent

# A package section's heading: ### `hotwash.core` (app)
PACKAGE_HEADING = re.compile(r"^### `hotwash\.(\w+)` \((app|package)\)$", re.MULTILINE)
# A line of the README's list: - `core/`: ...
README_ENTRY = re.compile(r"^- `(\w+)/`", re.MULTILINE)

Row = tuple[str, str, str]


def _section(text: str, title: str) -> str:
    """The text under `## title` (or `### title`), up to the next heading
    of the same level or above."""
    match = re.search(rf"^(#+) {re.escape(title)}$", text, re.MULTILINE)
    assert match, f"no section {title!r}"
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{len(match.group(1))}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def _tables(text: str) -> list[list[list[str]]]:
    """The Markdown tables in `text`, each a list of rows of cells (the
    header and its rule left out), backticks stripped."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
        elif current:
            tables.append(current[2:])
            current = []
    return tables


def _packages() -> set[str]:
    return {path.parent.name for path in SOURCE.glob("*/__init__.py")}


def _installed() -> set[str]:
    """hotwash.X apps in INSTALLED_APPS, as X."""
    return {
        config.name.split(".")[1]
        for config in apps.get_app_configs()
        if config.name.startswith("hotwash.")
    }


def _documented() -> dict[str, str]:
    """{package: "app" or "package"}, in the document's order."""
    text = _section(DOC.read_text(encoding="utf-8"), "Apps and packages")
    return dict(PACKAGE_HEADING.findall(text))


def _signal_label(signal: Signal) -> str:
    """`incidents.incident_updated` for Hotwash's own signals, the name it
    is imported under in reactions.py for Django's and django-axes'."""
    for package in sorted(_packages()):
        if (SOURCE / package / "signals.py").exists():
            module = import_module(f"hotwash.{package}.signals")
            for name, value in vars(module).items():
                if value is signal:
                    return f"{package}.{name}"
    return next(name for name, value in vars(reactions).items() if value is signal)


def _dotted(function: object) -> str:
    module = str(getattr(function, "__module__", "")).removeprefix("hotwash.")
    return f"{module}.{getattr(function, '__qualname__', '')}"


def connection_rows() -> list[Row]:
    """(signal, sender, receiver) of every connection, in connection order."""
    return [
        (
            _signal_label(connection.signal),
            connection.sender.__name__ if connection.sender else "any",
            _dotted(connection.receiver),
        )
        for connection in reactions.CONNECTIONS
    ]


def _signal_tables() -> list[list[list[str]]]:
    return _tables(_section(DOC.read_text(encoding="utf-8"), "Signals"))


def test_every_package_has_its_section() -> None:
    documented = set(_documented())
    expected = _packages() | _installed()
    assert not expected - documented, (
        f"docs/architecture.md has no section for {sorted(expected - documented)}: add a "
        "### `hotwash.<name>` (app|package) heading under 'Apps and packages'"
    )
    assert not documented - expected, (
        f"docs/architecture.md describes packages that are gone: {sorted(documented - expected)}"
    )


def test_each_section_says_whether_it_is_an_installed_app() -> None:
    installed = _installed()
    wrong = {
        name: kind for name, kind in _documented().items() if (kind == "app") != (name in installed)
    }
    assert not wrong, f"app or package, as INSTALLED_APPS has them: {wrong}"


def test_packages_with_commands_models_or_templates_are_installed_apps() -> None:
    """Django looks for these only in installed apps: anywhere else they are
    silently ignored (a command then answers "Unknown command")."""
    roles = ("management/commands", "models.py", "templates", "migrations")
    stray = sorted(
        f"{package}/{role}"
        for package in _packages() - _installed()
        for role in roles
        if (SOURCE / package / role).exists()
    )
    assert not stray, f"not in INSTALLED_APPS, so Django never sees: {stray}"


def test_every_top_level_module_is_listed() -> None:
    text = _section(DOC.read_text(encoding="utf-8"), "Top-level modules")
    missing = sorted(
        path.name
        for path in SOURCE.glob("*.py")
        if path.name != "__init__.py" and f"`{path.name}`" not in text
    )
    assert not missing, f"docs/architecture.md's 'Top-level modules' lacks {missing}"


def _markdown_row(row: Row) -> str:
    return "| " + " | ".join(cell if cell == "any" else f"`{cell}`" for cell in row) + " | ... |"


def test_the_signal_table_lists_every_connection_in_order() -> None:
    documented = [(row[0], row[1], row[2]) for row in _signal_tables()[0]]
    expected = connection_rows()
    assert documented == expected, (
        "docs/architecture.md's signal table differs from hotwash.wiring.reactions.CONNECTIONS; "
        "as the code has them:\n" + "\n".join(_markdown_row(row) for row in expected)
    )


def test_every_signal_hotwash_sends_has_its_row() -> None:
    sent = {
        f"{package}.{name}"
        for package in _packages()
        if (SOURCE / package / "signals.py").exists()
        for name, value in vars(import_module(f"hotwash.{package}.signals")).items()
        if isinstance(value, Signal)
    }
    documented = {row[0] for row in _signal_tables()[1]}
    assert documented == sent, (
        f"signals missing from the 'sent by' table: {sorted(sent - documented)}; "
        f"gone: {sorted(documented - sent)}"
    )


def test_the_readmes_list_names_the_same_packages_in_the_same_order() -> None:
    development = _section(README.read_text(encoding="utf-8"), "Development")
    assert "(docs/architecture.md)" in development
    assert README_ENTRY.findall(development) == list(_documented()), (
        "README.md's list under 'Development' must name the packages of "
        "docs/architecture.md's 'Apps and packages', in the same order"
    )
