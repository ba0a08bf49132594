"""Jira Cloud as a team's tracker.

client.py calls the REST API v3 (create, find by marker, poll through JQL,
read one); webhook.py reads its admin webhooks; integration.py makes it the
tracker kind "jira" (settings' rules: a site address, a project key, issue
types, e-mail-and-token authentication; the X-Hub-Signature signature).
Documentation: docs/integrations.md#jira.
"""

from __future__ import annotations

from hotwash.integrations.jira.integration import Jira
from hotwash.trackers.registry import trackers


def register() -> None:
    trackers.register(Jira())
