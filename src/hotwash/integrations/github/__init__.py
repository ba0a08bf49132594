"""GitHub Issues (github.com or GitHub Enterprise) as a team's tracker.

client.py calls the REST API (create, find by marker, poll, read one);
webhook.py reads its issue webhooks; integration.py makes it the tracker
kind "github" (settings' rules, the X-Hub-Signature-256 signature).
Documentation: docs/integrations.md#github-issues.
"""

from __future__ import annotations

from hotwash.integrations.github.integration import GitHub
from hotwash.trackers.registry import trackers


def register() -> None:
    trackers.register(GitHub())
