"""The `hotwash` console script: Django's manage.py under the project's name.

Every management command works as `hotwash <command>`; Hotwash's own commands
(serve, demo, createtoken, declare, note, status, list, catchup, ...) live in
the apps' management/commands folders.
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotwash.settings")
    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
