"""GitHub Issues as a tracker."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from hotwash.integrations.github.client import GitHubClient
from hotwash.integrations.github.webhook import read_webhook
from hotwash.trackers.clients import TrackerClient
from hotwash.trackers.models import TrackerConfig
from hotwash.trackers.registry import Tracker
from hotwash.trackers.webhooks import WebhookEvent, hmac_sha256_signature


class GitHub(Tracker):
    kind = "github"
    label = _("GitHub Issues")
    default_base_url = "https://api.github.com"
    project_pattern = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
    project_hint = _("Give the repository as owner/repository, e.g. acme/payments.")
    signature_header = "X-Hub-Signature-256"
    account_pattern = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
    account_hint = _("Give the person's GitHub login, e.g. octocat.")

    def client(self, tracker: TrackerConfig) -> TrackerClient:
        return GitHubClient(tracker)

    def expected_signature(self, secret: str, body: bytes) -> str:
        return hmac_sha256_signature(secret, body)

    def read_webhook(
        self, tracker: TrackerConfig, headers: Mapping[str, str], payload: dict[str, Any]
    ) -> WebhookEvent:
        return read_webhook(tracker, headers, payload)
