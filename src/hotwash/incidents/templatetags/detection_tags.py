"""The detection question's form for the incident page's include
(`incidents/_detection_question.html`): the form sent back with its error,
or a blank one."""

from __future__ import annotations

from django import template

from hotwash.incidents.forms import DetectionForm

register = template.Library()


@register.simple_tag(takes_context=True)
def detection_form(context: template.Context) -> DetectionForm:
    bound = context.get("detection_form")
    return bound if isinstance(bound, DetectionForm) else DetectionForm()
