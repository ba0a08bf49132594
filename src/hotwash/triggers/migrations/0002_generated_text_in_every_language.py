"""Add-detection proposals and their action items written before they were
worded in the reader's language: record the incident title and reference the
wording is made from (Proposal.display_title), and the action item's title
and description in every language (ActionItem.translations).

The incident title is read back from the stored title (in whichever language
the site wrote it); a title clipped for length cannot be, and stays as it is."""

import re

from django.conf import settings
from django.db import migrations
from django.utils import translation

WORDINGS = [
    re.compile(r"^Add detection for “(?P<subject>.*)”$", re.DOTALL),
    re.compile(r"^Ajouter une détection pour « (?P<subject>.*) »$", re.DOTALL),
]


def _title(subject):
    return translation.gettext("Add detection for “%(title)s”") % {"title": subject}


def _description(ref):
    return translation.gettext(
        "%(ref)s was found by a person, not by an alert. What would have caught it "
        "first: a check, an alert rule, a heartbeat?"
    ) % {"ref": ref}


def _every_language(words, value):
    versions = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            versions[code] = words(value)
    return versions


def word_in_every_language(apps, schema_editor):
    Proposal = apps.get_model("triggers", "Proposal")
    ActionItem = apps.get_model("actions", "ActionItem")
    proposals = Proposal.objects.filter(kind="add-detection", incident__isnull=False)
    for proposal in proposals.iterator():
        if "subject" in proposal.details:
            continue
        found = next((m for m in (w.match(proposal.title) for w in WORDINGS) if m), None)
        if found is None:
            continue
        subject, ref = found["subject"], f"INC-{proposal.incident_id}"
        proposal.details = {**proposal.details, "subject": subject, "ref": ref}
        proposal.save(update_fields=["details"])
        item = ActionItem.objects.filter(pk=(proposal.result or {}).get("action_item")).first()
        if item is None or item.translations:
            continue
        item.translations = {
            "title": _every_language(_title, subject),
            "description": _every_language(_description, ref),
        }
        item.save(update_fields=["translations"])


class Migration(migrations.Migration):
    dependencies = [
        ("triggers", "0001_initial"),
        ("actions", "0002_action_item_translations"),
    ]

    operations = [migrations.RunPython(word_in_every_language, migrations.RunPython.noop)]
