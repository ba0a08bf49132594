"""Reading one label of an alert in SQL."""

from __future__ import annotations

from django.db.models import TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast


def label_value(name: str) -> Cast:
    """The text of label `name` of an alert (NULL when absent). The label
    name is a key, never part of a lookup path, so a label called
    "contains" or "a__b" is just a label. The cast makes `=` and `IN`
    compare text with text (JSON key lookups would parse the value as JSON)."""
    return Cast(KeyTextTransform(name, "labels"), output_field=TextField())
