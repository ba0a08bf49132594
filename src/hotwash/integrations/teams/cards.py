"""What the bot posts, as Bot Framework activities: plain replies, the
Adaptive Cards that announce an incident's changes, and the two forms
(declare, stakeholder update) whose Action.Submit comes back to the bot.

Adaptive Card schema 1.4, which Teams renders on every client. Every
string is in the language asked for; the forms' inputs are named so the
submitted `value` reads back without guessing (FORM_KEY says which form).
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from hotwash.chat.messages import ChatText
from hotwash.incidents.display import severity_description, severity_name
from hotwash.incidents.models import Severity
from hotwash.statuspage.models import Audience, PublicStatus

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
# The key of a submitted form's data naming which form it was.
FORM_KEY = "hotwash_form"
DECLARE = "declare"
UPDATE = "update"


def text_activity(text: str) -> dict[str, Any]:
    """A reply. Teams reads markdown, where one newline is not a break."""
    return {"type": "message", "textFormat": "markdown", "text": text.replace("\n", "\n\n")}


def card_activity(card: dict[str, Any], *, summary: str = "") -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": "message",
        "attachments": [{"contentType": CARD_TYPE, "content": card}],
    }
    if summary:
        # What notifications and the channel list show for the card.
        activity["summary"] = summary
    return activity


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION}
    card["body"] = body
    if actions:
        card["actions"] = actions
    return card


def event_card(text: ChatText, language: str) -> dict[str, Any]:
    """An event of the incident: its sentence, an update's text, a link."""
    with translation.override(language):
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": text.headline, "wrap": True, "weight": "Bolder"}
        ]
        if text.detail:
            body.append({"type": "TextBlock", "text": text.detail, "wrap": True})
        actions = (
            [{"type": "Action.OpenUrl", "title": _("Open in Hotwash"), "url": text.url}]
            if text.url
            else []
        )
        return _card(body, actions)


def declare_form(language: str, *, title: str = "") -> dict[str, Any]:
    with translation.override(language):
        severities = [
            {
                "title": f"SEV{level} {severity_name(level)} — {severity_description(level)}",
                "value": str(level),
            }
            for level in Severity.values
        ]
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": _("Declare an incident"), "weight": "Bolder"},
            {
                "type": "Input.Text",
                "id": "title",
                "label": _("Title"),
                "value": title,
                "isRequired": True,
                "errorMessage": _("Give the incident a title."),
                "maxLength": 200,
            },
            {
                "type": "Input.ChoiceSet",
                "id": "severity",
                "label": _("Severity"),
                "choices": severities,
                "value": "3",
                "wrap": True,
            },
            {
                "type": "Input.Text",
                "id": "services",
                "label": _("Services (separated by commas)"),
                "placeholder": "shop, payments",
            },
            {
                "type": "Input.Toggle",
                "id": "private",
                "title": _("Private incident"),
                "value": "false",
            },
        ]
        actions = [{"type": "Action.Submit", "title": _("Declare"), "data": {FORM_KEY: DECLARE}}]
        return _card(body, actions)


def update_form(language: str, *, incident_ref: str) -> dict[str, Any]:
    with translation.override(language):
        body: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": _("Stakeholder update for %(ref)s") % {"ref": incident_ref},
                "weight": "Bolder",
            },
            {
                "type": "Input.ChoiceSet",
                "id": "audience",
                "label": _("Audience"),
                "choices": [
                    {"title": str(label), "value": value} for value, label in Audience.choices
                ],
                "value": Audience.INTERNAL,
            },
            {
                "type": "Input.ChoiceSet",
                "id": "status",
                "label": _("Status"),
                "choices": [
                    {"title": str(label), "value": value} for value, label in PublicStatus.choices
                ],
                "value": PublicStatus.INVESTIGATING,
            },
            {
                "type": "Input.Text",
                "id": "text_en",
                "label": _("Text in English"),
                "isMultiline": True,
            },
            {
                "type": "Input.Text",
                "id": "text_fr",
                "label": _("Text in French"),
                "isMultiline": True,
            },
        ]
        actions = [
            {
                "type": "Action.Submit",
                "title": _("Publish"),
                "data": {FORM_KEY: UPDATE, "incident": incident_ref},
            }
        ]
        return _card(body, actions)
