"""The two modals `/incident` opens (views.open) and what their
submission (view_submission) holds: declare (title, severity with its
definitions, services, private) and the bilingual stakeholder update
(audience, status, English text, French text). Block Kit, as documented
at api.slack.com/reference/block-kit."""

from __future__ import annotations

import json
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from hotwash.incidents.display import severity_description, severity_name
from hotwash.incidents.models import Incident, Service
from hotwash.policies import load_policies
from hotwash.statuspage.models import Audience, PublicStatus

DECLARE = "hotwash_declare"
UPDATE = "hotwash_update"
# Block Kit's limits: a modal's title 24 characters, an option's text 75,
# a select's options 100.
TITLE_LIMIT = 24
OPTION_LIMIT = 75
OPTIONS_LIMIT = 100
# A service update's text (statuspage.services.TEXT_MAX is checked there).
TEXT_INPUT_LIMIT = 3000
# Which block shows a service's error about a field.
DECLARE_FIELDS = {"title": "title", "severity": "severity", "services": "services"}
UPDATE_FIELDS = {
    "audience": "audience",
    "status": "status",
    "text.en": "text_en",
    "text.fr": "text_fr",
}


def _text(value: str, limit: int = OPTION_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": value[:limit] or "-", "emoji": True}


def _option(label: str, value: str, description: str = "") -> dict[str, Any]:
    option: dict[str, Any] = {"text": _text(label), "value": value}
    if description:
        option["description"] = _text(description)
    return option


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": _text(label, 2000),
        "element": {**element, "action_id": "value"},
    }


def _modal(
    callback_id: str,
    title: str,
    submit: str,
    blocks: list[dict[str, Any]],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _text(title, TITLE_LIMIT),
        "submit": _text(submit, TITLE_LIMIT),
        "close": _text(_("Cancel"), TITLE_LIMIT),
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }


def declare_view(*, language: str, channel_id: str, title: str = "") -> dict[str, Any]:
    with translation.override(language):
        policies = load_policies()
        levels = sorted(policies.severities)
        severities = [
            _option(f"SEV{level} {severity_name(level)}", str(level), severity_description(level))
            for level in levels
        ]
        definitions = "\n".join(
            f"*SEV{level} {severity_name(level)}*: {severity_description(level)}"
            for level in levels
        )
        title_element: dict[str, Any] = {"type": "plain_text_input", "max_length": 200}
        if title:
            title_element["initial_value"] = title
        blocks = [
            _input("title", _("Title"), title_element),
            _input(
                "severity",
                _("Severity"),
                {
                    "type": "static_select",
                    "options": severities,
                    # The policies' default, as on the web form.
                    "initial_option": severities[levels.index(policies.default_severity)],
                },
            ),
            {"type": "context", "elements": [{"type": "mrkdwn", "text": definitions[:3000]}]},
        ]
        services = [
            _option(name, name)
            for name in Service.objects.order_by("name").values_list("name", flat=True)[
                :OPTIONS_LIMIT
            ]
        ]
        if services:
            blocks.append(
                _input(
                    "services",
                    _("Affected services"),
                    {"type": "multi_static_select", "options": services},
                    optional=True,
                )
            )
        blocks.append(
            _input(
                "private",
                _("Private"),
                {
                    "type": "checkboxes",
                    "options": [
                        _option(
                            _("Private incident"),
                            "private",
                            _("Only its participants and admins can see it."),
                        )
                    ],
                },
                optional=True,
            )
        )
        return _modal(
            DECLARE,
            _("Declare an incident"),
            _("Declare"),
            blocks,
            {"channel": channel_id, "language": language},
        )


def update_view(*, language: str, incident: Incident, channel_id: str) -> dict[str, Any]:
    with translation.override(language):
        audiences = [_option(str(label), value) for value, label in Audience.choices]
        statuses = [_option(str(label), value) for value, label in PublicStatus.choices]
        multiline = {"type": "plain_text_input", "multiline": True, "max_length": TEXT_INPUT_LIMIT}
        blocks = [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{incident.ref}* {incident.title}"[:3000]},
            },
            _input(
                "audience",
                _("Audience"),
                {"type": "static_select", "options": audiences, "initial_option": audiences[0]},
            ),
            _input("status", _("Status"), {"type": "static_select", "options": statuses}),
            _input("text_en", _("Text in English"), multiline, optional=True),
            _input("text_fr", _("Text in French"), multiline, optional=True),
        ]
        return _modal(
            UPDATE,
            _("Inform stakeholders"),
            _("Publish"),
            blocks,
            {"channel": channel_id, "language": language, "incident": incident.pk},
        )


def values(view: dict[str, Any]) -> dict[str, Any]:
    """Each input block's value: a string, a list of strings (multiple
    choice, checkboxes) or None."""
    state = ((view.get("state") or {}).get("values")) or {}
    found: dict[str, Any] = {}
    for block_id, actions in state.items():
        action = (actions or {}).get("value") or {}
        if "selected_options" in action:
            found[block_id] = [str(o.get("value")) for o in action.get("selected_options") or []]
        elif "selected_option" in action:
            selected = action.get("selected_option")
            found[block_id] = str(selected.get("value")) if selected else None
        else:
            found[block_id] = action.get("value")
    return found


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
