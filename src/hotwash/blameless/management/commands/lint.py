"""`hotwash lint FILE.md [FILE ...]`: blameless-language check for a docs
repository's CI.

Works offline: no server, no database, no system checks. Markdown code
(fenced, indented, inline) is ignored, so quoted logs are not flagged, and
positions still point into the original file. Exit status: 0 clean, 1
something flagged, 2 a file could not be read.

Run where Hotwash's database is (a server, with its settings), it also knows
every account's name, as the editor does; elsewhere (a docs repository's
CI) it goes on with the names given by --name, and --no-accounts skips the
database altogether.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connection
from django.utils import translation
from django.utils.translation import gettext as _

from hotwash.blameless.engine import LANGUAGES, Finding, LineIndex, lint_markdown
from hotwash.blameless.people import organisation_names


class Command(BaseCommand):
    help = (
        "Check Markdown files (or - for standard input) for blameful language: naming people "
        "as the cause, human error, hindsight, judgement, blame. Exit status 1 when something "
        "is flagged, 2 when a file cannot be read. Works without a server or a database."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="Markdown files; - is stdin.")
        parser.add_argument(
            "--language", choices=LANGUAGES, default="en", help="The rules to use (default en)."
        )
        parser.add_argument(
            "--name",
            action="append",
            default=[],
            dest="names",
            help="A name to know beside the accounts' (someone without an account); repeat "
            "for several.",
        )
        parser.add_argument(
            "--no-accounts",
            action="store_false",
            dest="accounts",
            help="Do not read the names of Hotwash's accounts from its database (read when "
            "there is one).",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON, for scripts.")

    def handle(self, *args: Any, **options: Any) -> None:
        language: str = options["language"]
        translation.activate(language)
        flagged = unreadable = False
        report: list[dict[str, Any]] = []
        accounts = _accounts() if options["accounts"] else ()
        for path in options["files"]:
            text = self._read(path)
            if text is None:
                unreadable = True
                report.append({"path": path, "error": _("cannot be read"), "findings": []})
                continue
            findings = lint_markdown(text, language, names=options["names"], accounts=accounts)
            flagged = flagged or bool(findings)
            lines = LineIndex(text)
            report.append({"path": path, "findings": [self._located(lines, f) for f in findings]})
            if not options["json"]:
                self._print(path, lines, findings)
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        if unreadable or flagged:
            sys.exit(2 if unreadable else 1)

    def _read(self, path: str) -> str | None:
        try:
            if path == "-":
                return sys.stdin.read()
            return Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.stderr.write(
                _("%(path)s: cannot be read: %(reason)s") % {"path": path, "reason": reason}
            )
            return None

    @staticmethod
    def _located(lines: LineIndex, finding: Finding) -> dict[str, Any]:
        line, column = lines.locate(finding.start)
        return {**finding.as_dict(), "line": line, "column": column}

    def _print(self, path: str, lines: LineIndex, findings: list[Finding]) -> None:
        for finding in findings:
            line, column = lines.locate(finding.start)
            self.stdout.write(
                _(
                    "%(path)s:%(line)d:%(column)d: %(rule)s — %(message)s "
                    "(suggestion: %(suggestion)s)"
                )
                % {
                    "path": path,
                    "line": line,
                    "column": column,
                    "rule": finding.rule,
                    "message": finding.message,
                    "suggestion": finding.suggestion,
                }
            )
            self.stdout.write(f"    {finding.excerpt}")


def _accounts() -> tuple[str, ...]:
    """The accounts' names when Hotwash's database can be read, else none:
    the check still runs offline."""
    if _missing_sqlite_file():
        return ()
    try:
        return organisation_names()
    except DatabaseError:  # unreachable, or not migrated: no accounts there
        return ()


def _missing_sqlite_file() -> bool:
    # Connecting would create a missing SQLite file: a docs repository's CI,
    # with no DATABASE_URL, would be left an empty database.
    name = str(connection.settings_dict["NAME"])
    in_memory = name == ":memory:" or "mode=memory" in name
    return connection.vendor == "sqlite" and not in_memory and not Path(name).is_file()
