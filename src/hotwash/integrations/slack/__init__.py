"""Slack: `/incident` commands, the Events API and interactivity, and the
`slack` channel of the notification rules. docs/chat.md#slack."""

from __future__ import annotations


def register() -> None:
    """Fills the registries (the `slack` channel) once it exists."""
