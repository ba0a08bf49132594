"""`hotwash backup OUT [--overwrite]`: a consistent backup of the database
into one file, while the server keeps serving (hotwash.operations.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from hotwash.operations.backup import backup
from hotwash.operations.errors import OperationFailed


class Command(BaseCommand):
    help = (
        "Back up the database into the file OUT while Hotwash keeps running: on SQLite a "
        "copy made with SQLite's online backup API, on PostgreSQL a pg_dump archive (custom "
        "format; pg_dump must be installed). Restore it with `hotwash restore`."
    )
    # A backup works on any database Hotwash can open, whatever else the
    # configuration lacks (the checks would also cost each run a second).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", metavar="OUT", help="The backup file to write.")
        parser.add_argument(
            "--overwrite", action="store_true", help="Replace OUT if it exists already."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written = backup(Path(options["out"]), overwrite=options["overwrite"])
        except OperationFailed as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            _("Wrote %(path)s (%(size)s). Tables: %(tables)d, rows: %(rows)d.")
            % {
                "path": written.path,
                "size": filesizeformat(written.size),
                "tables": len(written.rows),
                "rows": sum(written.rows.values()),
            }
        )
        if options["verbosity"] > 1:
            for table, rows in written.rows.items():
                self.stdout.write(f"  {table}: {rows}")
