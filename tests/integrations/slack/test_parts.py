"""The Slack channel's parts on their own: rule targets, channel names, what
Slack's failures mean, and where a command's answer may go."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from hotwash.chat.commands import changes_something
from hotwash.incidents.models import Incident
from hotwash.integrations.slack.channel import Slack, channel_name, numbered
from hotwash.integrations.slack.client import SlackRefused, failure, response_url_allowed
from hotwash.notifications.channels import ChannelFailed


@pytest.mark.parametrize(
    "target",
    [
        {"channel": "#incidents"},
        {"channel": "C0123ABCD", "language": "fr"},
        {"incident_channel": True},
        {"incident_channel": True, "language": "en"},
    ],
)
def test_rule_targets_slack_accepts(target: dict[str, Any]) -> None:
    assert Slack().check_target(target) == target


@pytest.mark.parametrize(
    "target",
    [
        {},
        {"channel": "#Incidents Room"},
        {"channel": "#incidents", "incident_channel": True},
        {"incident_channel": "yes"},
        {"channel": "#incidents", "language": "de"},
        {"channel": "#incidents", "webhook": "https://example.org"},
    ],
)
def test_rule_targets_slack_refuses(target: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Slack().check_target(target)


def test_channel_names_follow_slack_rules(settings: Any) -> None:
    incident = Incident(pk=42, title="Checkout fails. Again! (EU)")
    assert channel_name(incident) == "inc-42-checkout-fails-again-eu"
    incident.title = "x" * 200
    assert len(channel_name(incident)) == 80
    assert len(numbered(channel_name(incident), 12)) == 80
    assert numbered(channel_name(incident), 12).endswith("-12")
    settings.SLACK_CHANNEL_PATTERN = "{ref}.{slug}"
    incident.title = "Checkout fails"
    assert channel_name(incident) == "inc-42-checkout-fails"
    settings.SLACK_CHANNEL_PATTERN = "{unknown}"
    assert channel_name(incident) == "inc-42-checkout-fails"


def _error(
    status: int, data: dict[str, Any], headers: dict[str, Any] | None = None
) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data=data,
        headers=headers or {},
        status_code=status,
    )
    # slack_sdk leaves its exceptions' __init__ unannotated.
    return SlackApiError("failed", response)  # type: ignore[no-untyped-call]


def test_what_slack_failures_mean() -> None:
    limited = failure(
        "chat.postMessage",
        _error(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": ["17"]}),
    )
    assert type(limited) is ChannelFailed and limited.retry_after == 17.0
    down = failure("chat.postMessage", _error(503, {"ok": False, "error": "bad gateway"}))
    assert type(down) is ChannelFailed
    passing = failure("chat.postMessage", _error(200, {"ok": False, "error": "internal_error"}))
    assert type(passing) is ChannelFailed
    refused = failure("chat.postMessage", _error(200, {"ok": False, "error": "not_in_channel"}))
    assert isinstance(refused, SlackRefused) and refused.error == "not_in_channel"
    assert "not_in_channel" in str(refused)


def test_a_command_answer_goes_only_to_slack(settings: Any) -> None:
    settings.SLACK_API_URL = "https://slack.com/api/"
    assert response_url_allowed("https://hooks.slack.com/commands/T1/2/abc")
    assert not response_url_allowed("http://hooks.slack.com/commands/T1/2/abc")
    assert not response_url_allowed("https://hooks.slack.com.evil.example/commands")
    assert not response_url_allowed("https://169.254.169.254/latest/meta-data")
    settings.SLACK_API_URL = "http://127.0.0.1:8123/api/"
    assert response_url_allowed("http://127.0.0.1:8123/commands/T1/2/abc")
    assert not response_url_allowed("http://127.0.0.1:9999/commands/T1/2/abc")


@pytest.mark.parametrize(
    ("text", "writes"),
    [
        ("declare Checkout fails", True),
        ("déclarer Paiement", True),
        ("declare", False),
        ("status monitoring", True),
        ("role commander <@U1>", True),
        ("note Rolled back", True),
        ("resolve", True),
        ("catchup", False),
        ("update", False),
        ("help", False),
        ("", False),
        ("dance", False),
    ],
)
def test_which_commands_change_something(text: str, writes: bool) -> None:
    assert changes_something(text) is writes
