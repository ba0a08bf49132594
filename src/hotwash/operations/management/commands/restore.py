"""`hotwash restore IN`: a backup into an empty database, then the
migrations it lacks (hotwash.operations.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.operations.backup import restore
from hotwash.operations.errors import OperationFailed


class Command(BaseCommand):
    help = (
        "Restore a backup made by `hotwash backup` into the database DATABASE_URL names, "
        "which must be empty (on SQLite, a file that does not exist yet); a database with "
        "tables is refused and left unchanged. Then applies the migrations the backup lacks, "
        "so a backup from an older release is brought up to date."
    )
    # Restores into an empty database, before anything else can run: the
    # checks have nothing to say yet.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", metavar="IN", help="The backup file to restore.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = restore(Path(options["source"]))
        except OperationFailed as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            _("Restored %(path)s into %(database)s. Tables: %(tables)d, rows: %(rows)d.")
            % {
                "path": options["source"],
                "database": restored.database,
                "tables": len(restored.rows),
                "rows": sum(restored.rows.values()),
            }
        )
        if restored.migrated:
            count = len(restored.migrated)
            self.stdout.write(
                ngettext(
                    "Applied %(count)d migration to bring it up to date: %(names)s.",
                    "Applied %(count)d migrations to bring it up to date: %(names)s.",
                    count,
                )
                % {"count": count, "names": ", ".join(restored.migrated)}
            )
        else:
            self.stdout.write(_("Its schema is up to date: no migration to apply."))
