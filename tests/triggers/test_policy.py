"""The trigger policy file: shipped defaults, merging, and errors that name
the policy and the field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from pytest_django import Settings

from hotwash.envconfig import ConfigurationError
from hotwash.triggers.describe import SHIPPED_DESCRIPTIONS, policy_description
from hotwash.triggers.policy import (
    DataLossPolicy,
    DowntimePolicy,
    Selector,
    TriggerPolicies,
    load_from,
    load_trigger_policies,
    parse_duration,
    render_title,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "triggers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load_from(write(tmp_path, text))
    return str(caught.value)


def test_the_shipped_defaults_cover_every_trigger() -> None:
    policies = load_from(None)
    assert {p.trigger for p in policies.policies} == {
        "downtime",
        "data_loss",
        "on_call_intervention",
        "resolution_time",
        "monitoring_failure",
        "detection_gap",
    }
    data_loss = policies.policy("data-loss")
    assert isinstance(data_loss, DataLossPolicy)
    assert data_loss.private and data_loss.full_postmortem
    assert data_loss.selector.matches({"category": "data-loss"})
    assert [h.name for h in policies.heartbeats] == ["Watchdog"]
    # Data loss is looked at before downtime.
    assert [p.id for p in policies.alert_policies] == [
        "data-loss",
        "downtime-critical",
        "degradation",
    ]


def test_a_file_changes_adds_and_disables_policies(tmp_path: Path) -> None:
    policies = load_from(
        write(
            tmp_path,
            """
policies:
  - id: degradation
    firing_for: 30m
  - id: on-call-intervention
    enabled: false
  - id: shop-down
    trigger: downtime
    match: {service: shop}
    severity: 1
heartbeats:
  - {name: nightly-backup, period: 1d, grace: 2h}
  - {name: Watchdog, grace: 10m}
""",
        )
    )
    degradation = policies.policy("degradation")
    assert isinstance(degradation, DowntimePolicy)
    assert degradation.firing_for == timedelta(minutes=30)
    assert degradation.match == {"severity": "warning"}  # kept from the defaults
    assert policies.first("on_call_intervention") is None
    assert policies.policy("shop-down") is not None
    watchdog = policies.heartbeat("Watchdog")
    assert watchdog is not None
    assert (watchdog.period, watchdog.grace) == (timedelta(minutes=5), timedelta(minutes=10))
    backup = policies.heartbeat("nightly-backup")
    assert backup is not None and backup.silence == timedelta(days=1, hours=2)


def test_the_organisations_policies_come_first(tmp_path: Path) -> None:
    """Order is precedence: the first policy that matches opens the incident."""
    policies = load_from(
        write(
            tmp_path,
            """
policies:
  - id: shop-down
    trigger: downtime
    match: {service: shop}
  - id: degradation
    firing_for: 30m
  - id: shop-data
    trigger: data_loss
    match: {service: shop, category: data-loss}
heartbeats:
  - {name: Watchdog-eu, alert: {alertname: Watchdog, cluster: eu}, period: 5m}
""",
        )
    )
    assert [p.id for p in policies.policies][:3] == ["shop-down", "degradation", "shop-data"]
    # Data loss still before downtime (its incident must be the private one);
    # within each, the file's policies before the shipped ones.
    assert [p.id for p in policies.alert_policies] == [
        "shop-data",
        "data-loss",
        "shop-down",
        "degradation",
        "downtime-critical",
    ]
    assert [h.name for h in policies.heartbeats] == ["Watchdog-eu", "Watchdog"]
    watchdog = policies.heartbeat_for_alert({"alertname": "Watchdog", "cluster": "eu"})
    assert watchdog is not None and watchdog.name == "Watchdog-eu"


def test_a_changed_shipped_policy_loses_its_shipped_description(tmp_path: Path) -> None:
    policies = load_from(
        write(
            tmp_path,
            """
policies:
  - {id: degradation, firing_for: 30m}
  - {id: downtime-critical, enabled: true}
  - {id: data-loss, severity: 1, description: Our own words.}
""",
        )
    )
    descriptions = {p.id: p.description for p in policies.policies}
    assert descriptions["degradation"] == ""  # "after 15 minutes" would be wrong now
    assert descriptions["downtime-critical"] == "A critical alert opens an incident at once."
    assert descriptions["data-loss"] == "Our own words."


def test_every_shipped_description_is_marked_and_translated() -> None:
    for policy in load_from(None).policies:
        assert policy.description in SHIPPED_DESCRIPTIONS, policy.id
        with translation.override("fr"):
            assert policy_description(policy) != policy.description, policy.id


def test_inherit_defaults_false_starts_from_nothing(tmp_path: Path) -> None:
    policies = load_from(write(tmp_path, "inherit_defaults: false\npolicies: []\n"))
    assert policies.policies == [] and policies.heartbeats == []


def test_a_shipped_id_with_another_trigger_is_replaced_whole(tmp_path: Path) -> None:
    policies = load_from(
        write(
            tmp_path,
            "policies:\n  - {id: degradation, trigger: data_loss, match: {kind: gone}}\n",
        )
    )
    assert isinstance(policies.policy("degradation"), DataLossPolicy)


def test_disabled_true_is_accepted_for_enabled_false(tmp_path: Path) -> None:
    """The blameless rules' older word works here too (core/yaml_config.py)."""
    policies = load_from(
        write(
            tmp_path,
            "policies:\n  - {id: on-call-intervention, disabled: true}\n"
            "  - {id: degradation, disabled: false}\n"
            "heartbeats:\n  - {name: Watchdog, disabled: true}\n",
        )
    )
    on_call, degradation = policies.policy("on-call-intervention"), policies.policy("degradation")
    assert on_call is not None and degradation is not None
    assert on_call.enabled is False
    assert degradation.enabled is True
    assert policies.active_heartbeats() == []
    assert "enabled and disabled disagree" in refused(
        tmp_path, "policies:\n  - {id: degradation, enabled: true, disabled: true}\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "policies:\n  - {id: shop, trigger: downtime, match: {service: shop}, firing_for: soon}\n",
            "policy \"shop\", field firing_for: 'soon' is not a duration; use e.g. 90s, 5m",
        ),
        (
            "policies:\n  - {id: data-loss, severity: 3}\n",
            'policy "data-loss", field severity: data loss is SEV2 or higher',
        ),
        (
            "policies:\n  - {id: data-loss, severity: {map: {warning: 3}}}\n",
            'policy "data-loss", field severity: data loss is SEV2 or higher',
        ),
        (
            "policies:\n  - {id: x, trigger: outage}\n",
            "policy \"x\": Input tag 'outage' found using 'trigger' does not match",
        ),
        (
            "policies:\n  - {id: degradation, colour: red}\n",
            'policy "degradation", field colour: Extra inputs are not permitted',
        ),
        (
            "policies:\n  - {id: degradation, severity: 7}\n",
            'policy "degradation", field severity: Input should be less than or equal to 4',
        ),
        (
            "policies:\n  - {id: degradation, mode: shout}\n",
            "policy \"degradation\", field mode: Input should be 'declare', 'propose' or 'notify'",
        ),
        (
            "policies:\n  - {id: degradation, match: {service: {regex: '(('}}}\n",
            'policy "degradation", field match.service.regex: not a valid regular expression',
        ),
        (
            "policies:\n  - {id: degradation, match: {bad-label: x}}\n",
            "policy \"degradation\", field match: 'bad-label' is not a label name",
        ),
        (
            "policies:\n  - {id: degradation, match: {}}\n",
            'policy "degradation", field match: give at least one label to match',
        ),
        (
            "policies:\n  - {id: degradation, title: '{labels.x}'}\n",
            'policy "degradation", field title: placeholder {labels.x} is not allowed',
        ),
        (
            "policies:\n  - {id: Shop Down, trigger: downtime, match: {a: b}}\n",
            'policy "Shop Down", field id: String should match pattern',
        ),
        (
            "policies:\n  - {id: rt2, trigger: resolution_time}\n",
            "only one resolution_time policy can be enabled; these are: rt2, resolution-time",
        ),
        (
            "policies:\n  - {id: detection-gap, mode: declare}\n",
            "policy \"detection-gap\", field mode: Input should be 'propose' or 'notify'",
        ),
        (
            "policies:\n  - {id: resolution-time, thresholds: {2: 0s}}\n",
            "the threshold for SEV2 must be longer than 0s",
        ),
        (
            "heartbeats:\n  - {name: backup, period: 0s}\n",
            'heartbeat "backup", field period: the period must be longer than 0s',
        ),
        (
            "heartbeats:\n  - {name: backup}\n",
            'heartbeat "backup", field period: Field required',
        ),
        ("triggers: []\n", "unknown section 'triggers'"),
        ("policies: {id: x}\n", "policies must be a list"),
        ("- just a list\n", "must contain a mapping at the top level"),
        ("policies: [\n", "is not valid YAML"),
        ("policies:\n  - id: degradation\n    id: shop\n", "the key 'id' is given twice"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in refused(tmp_path, text)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_from(tmp_path / "nope.yaml")
    assert "HOTWASH_TRIGGER_POLICY_FILE" in str(caught.value)
    assert "nope.yaml" in str(caught.value)


def test_the_setting_chooses_the_file(tmp_path: Path, settings: Settings) -> None:
    settings.TRIGGER_POLICY_FILE = str(
        write(tmp_path, "policies:\n  - {id: degradation, enabled: false}\n")
    )
    first = load_trigger_policies().first("downtime")
    assert first is not None
    assert first.id == "downtime-critical"
    assert [p.id for p in load_trigger_policies().enabled("downtime")] == ["downtime-critical"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("0s", timedelta(0)),
        (45, timedelta(seconds=45)),
    ],
)
def test_durations(text: Any, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_selectors() -> None:
    from hotwash.triggers.policy import RegexMatch

    selector = Selector(
        {
            "service": ["shop", "cart"],
            "severity": "critical",
            "alertname": RegexMatch(regex="Shop.*"),
        }
    )
    assert selector.matches({"service": "cart", "severity": "critical", "alertname": "ShopDown"})
    assert not selector.matches({"service": "cart", "severity": "critical", "alertname": "XShop"})
    assert not selector.matches({"service": "cart", "alertname": "ShopDown"})  # label missing
    assert not selector.matches({"service": "db", "severity": "critical", "alertname": "Shop"})


def test_titles_fill_in_labels_and_leave_a_mark_for_missing_ones() -> None:
    assert render_title("{alertname} on {service}", {"alertname": "ShopDown"}) == "ShopDown on ?"


def test_the_model_refuses_duplicates() -> None:
    with pytest.raises(ValueError, match="two policies have the id 'a'"):
        TriggerPolicies.model_validate(
            {
                "policies": [
                    {"id": "a", "trigger": "downtime", "match": {"x": "y"}},
                    {"id": "a", "trigger": "downtime", "match": {"x": "y"}},
                ]
            }
        )
