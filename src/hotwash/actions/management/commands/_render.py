"""Human-readable output of the action-item commands, from API JSON (read
defensively: a missing field is left out rather than crashing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.actions.models import Status
from hotwash.core.choices import choice_label
from hotwash.core.client_render import columns


def status_label(value: Any) -> str:
    return choice_label(Status, value)


def item_list(page: Mapping[str, Any], items: list[Mapping[str, Any]]) -> str:
    if not items:
        return _("No action items match.")
    rows = []
    for item in items:
        due = str(item.get("due") or "-")
        if item.get("overdue"):
            due += " " + _("(overdue)")
        source = " ".join(str(item[key]) for key in ("incident", "postmortem") if item.get(key))
        rows.append(
            [
                str(item.get("id", "?")),
                due,
                status_label(item.get("status")),
                str(item.get("owner") or "-"),
                source or "-",
                str(item.get("title", "")),
            ]
        )
    headers = [_("Item"), _("Due"), _("Status"), _("Owner"), _("From"), _("Title")]
    output = "\n".join(columns([headers, *rows]))
    count = page.get("count")
    if isinstance(count, int) and count > len(items):
        output += "\n" + ngettext(
            "Showing %(shown)d of %(count)d action item; use --limit for more.",
            "Showing %(shown)d of %(count)d action items; use --limit for more.",
            count,
        ) % {
            "shown": len(items),
            "count": count,
        }
    return output


def item_changed(item: Mapping[str, Any]) -> str:
    values = {
        "ref": item.get("id", "?"),
        "status": status_label(item.get("status")).lower(),
        "title": item.get("title", ""),
    }
    return _("%(ref)s is now %(status)s: %(title)s") % values


def item_created(item: Mapping[str, Any], base_url: str) -> str:
    headline = _("Created %(ref)s for %(owner)s, due %(due)s: %(title)s") % {
        "ref": item.get("id", "?"),
        "owner": item.get("owner") or "-",
        "due": item.get("due") or "-",
        "title": item.get("title", ""),
    }
    url = str(item.get("url") or "")
    if url.startswith("/"):
        url = base_url + url
    return f"{headline}\n{url}" if url else headline


def item_detail(item: Mapping[str, Any]) -> str:
    lines = [f"{item.get('id', '?')}  {item.get('title', '')}"]
    facts = [
        (_("Status"), status_label(item.get("status"))),
        (_("Owner"), str(item.get("owner") or "-")),
        (
            _("Due"),
            str(item.get("due") or "-") + (" " + _("(overdue)") if item.get("overdue") else ""),
        ),
        (_("Priority"), str(item.get("priority_name") or item.get("priority") or "")),
        (_("Kind"), str(item.get("kind_name") or item.get("kind") or "")),
        (_("Team"), str(item.get("team_name") or "-")),
        (_("Incident"), str(item.get("incident") or "-")),
        (_("Postmortem"), str(item.get("postmortem") or "-")),
    ]
    if item.get("reason"):
        facts.append((_("Reason"), str(item["reason"])))
    lines += columns([[f"{name}:", value] for name, value in facts])
    if item.get("description"):
        lines += ["", str(item["description"])]
    if item.get("url"):
        lines += ["", str(item["url"])]
    return "\n".join(lines)
