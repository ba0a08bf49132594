"""`hotwash import-services FILE`: the service catalog (teams and services)
from a YAML file, all of it or nothing; `--dry-run` says what would change.
Reads and writes the database directly (run it on the server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from hotwash.teams.importing import ImportFailed, import_catalog, read_catalog


class Command(BaseCommand):
    help = (
        "Import the service catalog from a YAML file: teams (by slug) and services (by name), "
        "with their owners, escalation contacts, runbooks and chat channels. Everything is "
        "checked first and applied in one transaction: a mistake changes nothing. Running "
        "the same file again changes nothing. See docs/communications.md#the-service-catalog-services-have-owners for the shape."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="The catalog, a YAML file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would change, and change nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        try:
            catalog = read_catalog(Path(options["file"]))
            report = import_catalog(catalog, dry_run=dry_run)
        except ImportFailed as error:
            raise CommandError(
                _("Nothing was imported: %(problem)s") % {"problem": error}
            ) from None
        labels = {
            ("team", "created"): _("team %(key)s: new"),
            ("team", "updated"): _("team %(key)s: changed (%(fields)s)"),
            ("team", "unchanged"): _("team %(key)s: unchanged"),
            ("service", "created"): _("service %(key)s: new"),
            ("service", "updated"): _("service %(key)s: changed (%(fields)s)"),
            ("service", "unchanged"): _("service %(key)s: unchanged"),
        }
        if options["verbosity"] >= 1:
            for change in report.changes:
                line = labels[(change.kind, change.outcome)] % {
                    "key": change.key,
                    "fields": ", ".join(change.fields),
                }
                self.stdout.write(line)
        summary = (
            _(
                "Dry run, nothing changed: %(created)d would be created, %(updated)d changed, "
                "%(unchanged)d unchanged."
            )
            if dry_run
            else _("Imported: %(created)d created, %(updated)d changed, %(unchanged)d unchanged.")
        )
        self.stdout.write(
            summary
            % {
                "created": report.count("created"),
                "updated": report.count("updated"),
                "unchanged": report.count("unchanged"),
            }
        )
