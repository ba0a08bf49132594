"""The issue trackers action items can be pushed to, and what each provides.

Each tracker is an integration (hotwash/integrations/github/, gitlab/,
jira/) that implements `Tracker` and registers itself in `trackers` at
start-up. The trackers app finds a team's tracker by `TrackerConfig.kind`
and never imports an integration: the settings' rules (models.py), the
client that pushes and polls (clients.py has their shared HTTP handling)
and the webhooks (webhooks.py has the shared checks) all ask the registry.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.functional import Promise

from hotwash.core.registry import Registry

if TYPE_CHECKING:
    from hotwash.trackers.clients import TrackerClient
    from hotwash.trackers.models import TrackerConfig
    from hotwash.trackers.webhooks import WebhookEvent


class Tracker(abc.ABC):
    """One kind of issue tracker."""

    #: Stored in TrackerConfig.kind.
    kind: ClassVar[str]
    #: Its name for people, e.g. "GitHub Issues".
    label: ClassVar[str | Promise]

    # --- the tracker's settings (TrackerConfig.clean) ---
    #: The API address when the settings leave it empty; "" when it must be
    #: given, and then `base_url_needed` says so.
    default_base_url: ClassVar[str] = ""
    base_url_needed: ClassVar[str | Promise] = ""
    #: What `project` must look like, and the hint when it does not.
    project_pattern: ClassVar[re.Pattern[str]]
    project_hint: ClassVar[str | Promise]
    #: The AuthMethod values it accepts ("basic": an account's e-mail
    #: address and an API token).
    auth_methods: ClassVar[frozenset[str]] = frozenset({"token"})
    #: Whether issues have a type to choose (TrackerConfig.issue_type).
    has_issue_types: ClassVar[bool] = False
    #: What a person's account looks like (TrackerAccount.account: the
    #: issue's assignee), and the hint when it does not.
    account_pattern: ClassVar[re.Pattern[str]] = re.compile(r"\S+")
    account_hint: ClassVar[str | Promise] = ""

    def normalise_project(self, project: str) -> str:
        """The project as stored (already stripped)."""
        return project

    def issue_name(self, project: str, key: str) -> str:
        """How people write an issue: owner/repo#42, group/project#7, OPS-12."""
        return f"{project}#{key}"

    # --- calling it ---
    @abc.abstractmethod
    def client(self, tracker: TrackerConfig) -> TrackerClient:
        """A client for `tracker`; CredentialMissing if its token is unusable."""

    # --- its webhooks (webhooks.py checks the signature, then reads) ---
    #: The header a webhook proves itself with.
    signature_header: ClassVar[str]

    @abc.abstractmethod
    def expected_signature(self, secret: str, body: bytes) -> str:
        """What `signature_header` must say for this body."""

    @abc.abstractmethod
    def read_webhook(
        self, tracker: TrackerConfig, headers: Mapping[str, str], payload: dict[str, Any]
    ) -> WebhookEvent:
        """What a verified webhook says. A KeyError, TypeError or
        AttributeError on a payload without the expected fields is answered
        as a webhook this tracker does not send."""


trackers: Registry[Tracker] = Registry("tracker")


def kind_choices() -> list[tuple[str, str | Promise]]:
    """TrackerConfig.kind's choices: the registered trackers."""
    return trackers.choices()
