"""`hotwash export-postmortems OUT`: every postmortem as Markdown files, into
a folder, or into a zip when OUT ends with .zip. Reads the database directly
(run it on the server); `hotwash postmortem export --all` does the same
through the API."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.postmortems.markdown import export_files
from hotwash.postmortems.models import Postmortem

# A fixed time in the zip, so that the same postmortems give the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class Command(BaseCommand):
    help = (
        "Export every postmortem and retrospective as Markdown files with YAML front matter "
        "(one per language version) into the folder OUT, or into a zip if OUT ends with .zip."
    )
    # Reads the database and writes files: the web's checks (URLs, security
    # settings) have nothing to say about it, and cost each run a second.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", metavar="OUT", help="A folder, or a file ending in .zip.")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        files = [
            exported
            for postmortem in Postmortem.objects.select_related("incident", "owner").order_by("pk")
            for exported in export_files(postmortem)
        ]
        try:
            if out.suffix.lower() == ".zip":
                out.parent.mkdir(parents=True, exist_ok=True)
                with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
                    for exported in files:
                        info = zipfile.ZipInfo(exported.name, date_time=ZIP_TIME)
                        info.compress_type = zipfile.ZIP_DEFLATED
                        archive.writestr(info, exported.text.encode("utf-8"))
            else:
                out.mkdir(parents=True, exist_ok=True)
                for exported in files:
                    (out / exported.name).write_bytes(exported.text.encode("utf-8"))
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(reason)s") % {"path": out, "reason": exc.strerror}
            ) from None
        self.stdout.write(
            ngettext(
                "Exported %(count)d file to %(path)s.",
                "Exported %(count)d files to %(path)s.",
                len(files),
            )
            % {"count": len(files), "path": out}
        )
