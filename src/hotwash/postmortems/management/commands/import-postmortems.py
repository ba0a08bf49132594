"""`hotwash import-postmortems PATH`: import Markdown postmortems from a file
or a folder (every .md file in it, sorted), each file in its own transaction,
with a progress bar. Reads and writes the database directly (run it on the
server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from hotwash.postmortems.importing import import_paths, markdown_files


class Command(BaseCommand):
    help = (
        "Import postmortems from Markdown files: PATH is a file or a folder. Files with YAML "
        "front matter (the format export-postmortems writes) import as they are; Markdown "
        "written elsewhere (no front matter, or front matter without kind) is matched to the "
        "closest template, and what was assumed is reported per file. A file that fails "
        "imports nothing and is reported with its line; the others still import. Exit status "
        "1 when any file failed."
    )
    # As export-postmortems.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="A .md file, or a folder of them.")
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show the progress bar."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(_("%(path)s does not exist.") % {"path": path})
        files = markdown_files(path)
        created = updated = 0
        failures = []
        assumed = []
        # The bar goes to the real stderr: Django's wrapper would add newlines.
        stream = getattr(self.stderr, "_out", None)
        with tqdm(
            total=len(files), unit="file", file=stream, disable=options["no_progress"]
        ) as bar:
            for result in import_paths(files):
                if result.assumed:
                    assumed.append(result)
                if result.error is not None:
                    failures.append(result.error)
                elif result.created:
                    created += 1
                else:
                    updated += 1
                bar.update(1)
        for result in assumed:
            # What was worked out for a file written elsewhere, to check.
            lines = [f"{result.path}:", *(f"  {line}" for line in result.assumed)]
            self.stdout.write("\n".join(lines))
        self.stdout.write(
            ngettext(
                "Imported %(ok)d of %(total)d file (new: %(created)d, updated: %(updated)d).",
                "Imported %(ok)d of %(total)d files (new: %(created)d, updated: %(updated)d).",
                len(files),
            )
            % {
                "ok": created + updated,
                "total": len(files),
                "created": created,
                "updated": updated,
            }
        )
        for error in failures:
            self.stderr.write(str(error))
        if failures:
            raise CommandError(
                ngettext(
                    "%(count)d file failed and was not imported.",
                    "%(count)d files failed and were not imported.",
                    len(failures),
                )
                % {"count": len(failures)}
            )
