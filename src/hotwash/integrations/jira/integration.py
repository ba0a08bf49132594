"""Jira (Cloud) as a tracker."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from hotwash.integrations.jira.client import JiraClient
from hotwash.integrations.jira.webhook import read_webhook
from hotwash.trackers.clients import TrackerClient
from hotwash.trackers.models import AuthMethod, TrackerConfig
from hotwash.trackers.registry import Tracker
from hotwash.trackers.webhooks import WebhookEvent, hmac_sha256_signature


class Jira(Tracker):
    kind = "jira"
    label = _("Jira")
    # Every Jira site has its own address.
    base_url_needed = _("Jira needs its address, e.g. https://example.atlassian.net.")
    project_pattern = re.compile(r"[A-Z][A-Z0-9_]{0,19}")
    project_hint = _("Give the Jira project key: capital letters and digits, e.g. OPS.")
    auth_methods = frozenset({AuthMethod.TOKEN.value, AuthMethod.BASIC.value})
    has_issue_types = True
    signature_header = "X-Hub-Signature"
    account_pattern = re.compile(r"[A-Za-z0-9:_-]{1,128}")
    account_hint = _(
        "Give the person's Jira account id (accountId), e.g. 5b10ac8d82e05b22cc7d4ef5."
    )

    def normalise_project(self, project: str) -> str:
        return project.upper()

    def issue_name(self, project: str, key: str) -> str:
        return key  # Jira's keys name their project already: OPS-12

    def client(self, tracker: TrackerConfig) -> TrackerClient:
        return JiraClient(tracker)

    def expected_signature(self, secret: str, body: bytes) -> str:
        return hmac_sha256_signature(secret, body)

    def read_webhook(
        self, tracker: TrackerConfig, headers: Mapping[str, str], payload: dict[str, Any]
    ) -> WebhookEvent:
        return read_webhook(tracker, payload)
