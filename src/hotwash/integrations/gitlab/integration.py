"""GitLab issues as a tracker."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from hotwash.integrations.gitlab.client import GitLabClient
from hotwash.integrations.gitlab.webhook import read_webhook
from hotwash.trackers.clients import TrackerClient
from hotwash.trackers.models import TrackerConfig
from hotwash.trackers.registry import Tracker
from hotwash.trackers.webhooks import WebhookEvent


class GitLab(Tracker):
    kind = "gitlab"
    label = _("GitLab issues")
    default_base_url = "https://gitlab.com"
    project_pattern = re.compile(r"[0-9]+|[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+")
    project_hint = _("Give the project's numeric id or its full path, e.g. acme/payments.")
    account_pattern = re.compile(r"[1-9][0-9]*")
    account_hint = _("Give the person's numeric GitLab user id (shown on their profile).")
    # GitLab sends the secret itself, not a signature.
    signature_header = "X-Gitlab-Token"

    def client(self, tracker: TrackerConfig) -> TrackerClient:
        return GitLabClient(tracker)

    def expected_signature(self, secret: str, body: bytes) -> str:
        return secret

    def read_webhook(
        self, tracker: TrackerConfig, headers: Mapping[str, str], payload: dict[str, Any]
    ) -> WebhookEvent:
        return read_webhook(tracker, headers, payload)
