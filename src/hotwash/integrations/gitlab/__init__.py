"""GitLab issues (gitlab.com or a self-managed GitLab) as a team's tracker.

client.py calls the REST API v4 (create, find by marker, poll, read one);
webhook.py reads its Issue Hooks; integration.py makes it the tracker kind
"gitlab" (settings' rules, the X-Gitlab-Token secret). Documentation:
docs/integrations.md#gitlab-issues.
"""

from __future__ import annotations

from hotwash.integrations.gitlab.integration import GitLab
from hotwash.trackers.registry import trackers


def register() -> None:
    trackers.register(GitLab())
