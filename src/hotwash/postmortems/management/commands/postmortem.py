"""`hotwash postmortem list|show|create|update|export`: postmortems and
retrospectives through the API, like the incident commands."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.client import ApiClient, ClientConfig, ClientError
from hotwash.core.client_command import ClientCommand, fetch_list, incident_path
from hotwash.core.client_render import Clock, columns
from hotwash.incidents.display import format_duration


def postmortem_path(ref: str, *parts: str) -> str:
    return "/".join(["/postmortems", *(quote(part.strip(), safe="") for part in (ref, *parts))])


def is_incident_ref(ref: str) -> bool:
    return ref.strip().upper().startswith("INC-")


def _json_flag(parser: argparse.ArgumentParser) -> None:
    # Accepted after the action too; SUPPRESS keeps a --json given before it.
    parser.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="Print the API's JSON."
    )


def _header_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--owner", help="Username of the owner.")
    parser.add_argument("--due", metavar="YYYY-MM-DD", help="Due date.")
    parser.add_argument("--tag", dest="tags", action="append", help="A tag; repeat for several.")
    parser.add_argument(
        "--service", dest="services", action="append", help="A service; repeat for several."
    )
    parser.add_argument("--template", help="Template key.")
    parser.add_argument("--period-start", metavar="YYYY-MM-DD", help="Start of the period.")
    parser.add_argument("--period-end", metavar="YYYY-MM-DD", help="End of the period.")


def _header_body(options: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for option, key in (
        ("owner", "owner"),
        ("due", "due_on"),
        ("tags", "tags"),
        ("services", "services"),
        ("template", "template"),
        ("period_start", "period_start"),
        ("period_end", "period_end"),
    ):
        if options.get(option) is not None:
            body[key] = options[option]
    return body


def download(api: ApiClient, path: str, params: Mapping[str, Any] | None = None) -> bytes:
    """A file (Markdown or zip) from the API, with the API's own message on
    failure. (ApiClient only decodes JSON answers.)"""
    try:
        response = api._http.get(path, params=params)
    except httpx.HTTPError as exc:
        raise ClientError(
            _("Cannot reach the Hotwash server at %(url)s (%(reason)s).")
            % {"url": api.config.url, "reason": exc}
        ) from None
    if response.is_success:
        return response.content
    try:
        message = str(response.json().get("message") or "")
    except ValueError:
        message = ""
    raise ClientError(
        message
        or _("The server answered %(status)d %(reason)s.")
        % {"status": response.status_code, "reason": response.reason_phrase},
        status=response.status_code,
    )


class Command(ClientCommand):
    summary = (
        "Postmortems and retrospectives: list (with filters), show one (PM-3, or INC-42 for an "
        "incident's), create a retrospective or an incident's postmortem, update its header, "
        "export it as Markdown (or --all as a zip)."
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        listing = actions.add_parser("list", help="List postmortems you can read, newest first.")
        listing.add_argument("--status", action="append", default=[], help="draft, in_review, ...")
        listing.add_argument(
            "--kind", action="append", default=[], help="incident, success, project."
        )
        listing.add_argument("--owner", help="Username, or me.")
        listing.add_argument("--incident", help="INC-42.")
        listing.add_argument("--overdue", action="store_true", help="Only overdue ones.")
        listing.add_argument("--tag", help="Only those with this tag.")
        listing.add_argument("--q", help="Text in the title.")
        listing.add_argument("--limit", type=int, default=20, help="How many (default 20).")
        _json_flag(listing)

        show = actions.add_parser("show", help="Show one postmortem.")
        show.add_argument("ref", metavar="REF", help="PM-3, 3, or INC-42 for an incident's.")
        _json_flag(show)

        create = actions.add_parser(
            "create", help="Start a retrospective, or an incident's postmortem (--incident)."
        )
        create.add_argument("title", nargs="?", default="", help="Title (not for --incident).")
        create.add_argument("--kind", default=None, help="success (default), project, or incident.")
        create.add_argument("--incident", help="INC-42: start that incident's postmortem.")
        create.add_argument("--language", help="Original language: en or fr.")
        _header_arguments(create)
        _json_flag(create)

        update = actions.add_parser("update", help="Change a postmortem's header.")
        update.add_argument("ref", metavar="REF", help="PM-3, 3, or INC-42.")
        update.add_argument("--title", help="New title.")
        update.add_argument("--language", help="Original language: en or fr.")
        update.add_argument("--author", dest="authors", action="append", help="An author; repeat.")
        update.add_argument("--public", choices=["yes", "no"], help="Show on the public page.")
        _header_arguments(update)
        _json_flag(update)

        export = actions.add_parser(
            "export", help="Print one postmortem as Markdown, or save every one as a zip."
        )
        export.add_argument("ref", metavar="REF", nargs="?", help="PM-3, 3, or INC-42.")
        export.add_argument("--language", help="en or fr (default: the original).")
        export.add_argument("--all", action="store_true", help="Every postmortem, as a zip.")
        export.add_argument(
            "-o", "--output", help="Write to this file instead of printing (required with --all)."
        )
        _json_flag(export)

    # --- API calls ------------------------------------------------------------------

    def call(self, api: ApiClient, options: dict[str, Any]) -> Any:
        action = options["action"]
        return getattr(self, f"_{action}")(api, options)

    def _path(self, ref: str) -> str:
        if is_incident_ref(ref):
            return incident_path(ref, "postmortem")
        return postmortem_path(ref)

    def _list(self, api: ApiClient, options: dict[str, Any]) -> Any:
        params: dict[str, Any] = {}
        for name in ("status", "kind", "owner", "incident", "tag", "q"):
            if options[name]:
                params[name] = options[name]
        if options["overdue"]:
            params["overdue"] = "true"
        return fetch_list(api, "/postmortems", params, options["limit"])

    def _show(self, api: ApiClient, options: dict[str, Any]) -> Any:
        return api.get(self._path(options["ref"]))

    def _create(self, api: ApiClient, options: dict[str, Any]) -> Any:
        body = _header_body(options)
        if options["language"]:
            body["language"] = options["language"]
        if options["incident"]:
            if options["kind"] not in (None, "incident"):
                raise ClientError(_("--incident starts a postmortem of kind incident."))
            body.pop("owner", None)
            created = api.post(
                incident_path(options["incident"], "postmortem"),
                {key: body[key] for key in ("template", "language") if key in body},
            )
            rest = {k: v for k, v in _header_body(options).items() if k != "template"}
            if rest:
                created = api.patch(postmortem_path(created["id"]), rest)
            return created
        body["title"] = options["title"]
        body["kind"] = options["kind"] or "success"
        return api.post("/postmortems", body)

    def _update(self, api: ApiClient, options: dict[str, Any]) -> Any:
        body = _header_body(options)
        if options["title"] is not None:
            body["title"] = options["title"]
        if options["language"]:
            body["original_language"] = options["language"]
        if options["authors"] is not None:
            body["authors"] = options["authors"]
        if options["public"]:
            body["public"] = options["public"] == "yes"
        if not body:
            raise ClientError(_("Nothing to change: give at least one option, e.g. --owner."))
        return api.patch(self._path(options["ref"]), body)

    def _export(self, api: ApiClient, options: dict[str, Any]) -> Any:
        if options["all"]:
            if not options["output"]:
                raise ClientError(_("--all needs --output FILE.zip."))
            data = download(api, "/postmortems/export")
            Path(options["output"]).write_bytes(data)
            return {"file": options["output"], "bytes": len(data)}
        if not options["ref"]:
            raise ClientError(_("Name the postmortem to export (PM-3), or use --all."))
        params = {"language": options["language"]} if options["language"] else None
        ref = options["ref"]
        if is_incident_ref(ref):
            ref = str(api.get(incident_path(ref, "postmortem"))["id"])
        text = download(api, postmortem_path(ref, "export"), params).decode("utf-8")
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            return {"file": options["output"], "bytes": len(text.encode("utf-8"))}
        return {"text": text}

    # --- text for people --------------------------------------------------------------

    def render(
        self, result: Any, options: dict[str, Any], *, config: ClientConfig, clock: Clock
    ) -> str:
        action = options["action"]
        if action == "list":
            return postmortem_list(result)
        if action == "export":
            if "text" in result:
                return str(result["text"])
            wrote: str = (
                ngettext(
                    "Wrote %(bytes)d byte to %(file)s.",
                    "Wrote %(bytes)d bytes to %(file)s.",
                    int(result["bytes"]),
                )
                % result
            )
            return wrote
        text = postmortem_detail(result, clock)
        if action == "create":
            return _("Created %(ref)s.") % {"ref": result["id"]} + "\n" + text
        if action == "update":
            return _("Updated %(ref)s.") % {"ref": result["id"]} + "\n" + text
        return text


def postmortem_list(page: Mapping[str, Any]) -> str:
    items = page.get("items") or []
    if not items:
        return _("No postmortems match.")
    rows = [
        [_("Postmortem"), _("Status"), _("Kind"), _("Incident"), _("Owner"), _("Due"), _("Title")]
    ]
    for item in items:
        due = str(item.get("due_on") or "")
        if item.get("overdue"):
            due += " (" + _("overdue") + ")"
        rows.append(
            [
                str(item["id"]),
                str(item.get("status_name") or item.get("status")),
                str(item.get("kind")),
                str(item.get("incident") or item.get("external_incident") or "—"),
                str(item.get("owner") or "—"),
                due or "—",
                str(item.get("title")),
            ]
        )
    output = "\n".join(columns(rows))
    count = page.get("count")
    if isinstance(count, int) and count > len(items):
        output += "\n" + ngettext(
            "Showing %(shown)d of %(count)d postmortem; use --limit for more.",
            "Showing %(shown)d of %(count)d postmortems; use --limit for more.",
            count,
        ) % {
            "shown": len(items),
            "count": count,
        }
    return output


def postmortem_detail(data: Mapping[str, Any], clock: Clock) -> str:
    lines = [f"{data['id']}  {data['title']}"]
    kind = str(data.get("kind_name") or data.get("kind"))
    incident = data.get("incident") or data.get("external_incident")
    lines.append(
        _("Kind: %(kind)s") % {"kind": kind}
        + (f" ({incident})" if incident else "")
        + "  ·  "
        + _("Template: %(template)s") % {"template": data.get("template")}
    )
    due = str(data.get("due_on") or "—")
    if data.get("overdue"):
        due += " (" + _("overdue") + ")"
    lines.append(
        _("Status: %(status)s  ·  Owner: %(owner)s  ·  Due: %(due)s")
        % {
            "status": data.get("status_name") or data.get("status"),
            "owner": data.get("owner") or "—",
            "due": due,
        }
    )
    for label, values in (
        (_("Authors"), data.get("authors")),
        (_("Tags"), data.get("tags")),
        (_("Services"), data.get("services")),
    ):
        if values:
            lines.append(f"{label}: {', '.join(values)}")
    completeness = data.get("completeness") or {}
    lines.append(
        _("Written: %(parts)s")
        % {
            "parts": ", ".join(
                f"{lang} {value['written']}/{value['total']}"
                for lang, value in sorted(completeness.items())
            )
        }
    )
    reviewers = data.get("reviewers") or []
    if reviewers:
        lines.append(
            _("Reviewers: %(list)s")
            % {"list": ", ".join(f"{r['user']} ({r['decision']})" for r in reviewers)}
        )
    checklist = data.get("checklist") or []
    if checklist:
        ticked = sum(1 for item in checklist if item.get("checked"))
        lines.append(
            ngettext(
                "Checklist: %(ticked)d of %(total)d ticked",
                "Checklist: %(ticked)d of %(total)d ticked",
                ticked,
            )
            % {"ticked": ticked, "total": len(checklist)}
        )
    facts = data.get("facts") or {}
    for item in facts.get("durations") or []:
        if item.get("seconds") is not None:
            spent = format_duration(timedelta(seconds=int(item["seconds"])))
            lines.append(f"{item['label']}: {spent}")
    sections = data.get("sections") or []
    if sections:
        lines.append("")
        lines.append(_("Sections:"))
        for section in sections:
            languages = section.get("languages") or {}
            marks = " ".join(
                f"{lang} v{value['version']}" if value and value.get("body") else f"{lang} —"
                for lang, value in sorted(languages.items())
            )
            indent = "  " * (int(section.get("level") or 2) - 1)
            lines.append(f"{indent}{section['title']}  [{marks}]")
    if data.get("url"):
        lines.append("")
        lines.append(str(data["url"]))
    return "\n".join(lines)
