"""Microsoft Teams: a bot on the Bot Framework REST protocol, and the
`teams` channels of the notification rules. docs/chat.md#microsoft-teams."""

from __future__ import annotations


def register() -> None:
    """Fills the registries (the `teams` channels) once they exist."""
