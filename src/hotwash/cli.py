"""The `hotwash` console script: Django's manage.py under the project's name.

Every management command works as `hotwash <command>`; Hotwash's own commands
(serve, demo, createtoken, declare, note, status, list, catchup, ...) live in
the apps' management/commands folders.
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line

from hotwash.core.process import mark_client_only

# The client commands (subclasses of hotwash.core.client_command.ClientCommand,
# tests/core/test_process.py keeps the two equal): they only talk to a server,
# so they start without checking its configuration files.
CLIENT_COMMANDS = frozenset(
    {
        "action",
        "actions",
        "catchup",
        "declare",
        "event",
        "link",
        "list",
        "merge",
        "note",
        "postmortem",
        "role",
        "search",
        "severity",
        "show",
        "status",
        "update",
    }
)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotwash.settings")
    argv = argv if argv is not None else sys.argv
    if len(argv) > 1 and argv[1] in CLIENT_COMMANDS:
        mark_client_only()
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
