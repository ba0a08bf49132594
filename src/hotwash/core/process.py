"""What this process is for, known before Django starts.

A client command (`hotwash declare`, `hotwash note`, ...) talks to a server
over HTTP and never reads the server's configuration files, so checking
them at its start (a second of compiling the blameless rules) would only
make every command slower, and fail on a laptop without them. `hotwash.cli`
marks such a process; `hotwash.wiring.startup` then skips the checks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Process:
    client_only: bool = False


_process = _Process()


def mark_client_only() -> None:
    _process.client_only = True


def is_client_only() -> bool:
    return _process.client_only
