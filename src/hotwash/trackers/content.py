"""What an action item becomes in a tracker: title, body, labels, due date.

The body is built once as paragraphs of text and links, then written as
Markdown (GitHub, GitLab) or as an Atlassian Document (Jira), in the
tracker's language. It links back to Hotwash with absolute addresses
(HOTWASH_SITE_URL) and ends with the idempotency marker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from hotwash.actions.models import ActionItem

Span = tuple[str, str | None]  # text, and the address it links to (or None)
Paragraph = list[Span]


@dataclass
class IssueDraft:
    title: str
    paragraphs: list[Paragraph]
    labels: list[str]
    due_on: date | None
    marker: str
    extra: dict[str, Any] = field(default_factory=dict)
    #: The owner's account in the tracker (TrackerAccount), if known.
    assignee: str | None = None

    def markdown(self) -> str:
        """GitHub and GitLab: Markdown, with the marker in an HTML comment
        (invisible when rendered, searchable in the raw body)."""
        blocks = ["".join(_markdown_span(text, href) for text, href in p) for p in self.paragraphs]
        blocks.append(f"<!-- {self.marker} -->")
        return "\n\n".join(blocks)

    def adf(self) -> dict[str, Any]:
        """Jira Cloud: an Atlassian Document Format document."""
        content: list[dict[str, Any]] = []
        marker: Paragraph = [(self.marker, None)]
        for paragraph in [*self.paragraphs, marker]:
            nodes: list[dict[str, Any]] = []
            for text, href in paragraph:
                if not text:
                    continue
                node: dict[str, Any] = {"type": "text", "text": text}
                if href:
                    node["marks"] = [{"type": "link", "attrs": {"href": href}}]
                nodes.append(node)
            content.append({"type": "paragraph", "content": nodes})
        return {"type": "doc", "version": 1, "content": content}


def _markdown_span(text: str, href: str | None) -> str:
    escaped = text.replace("[", "\\[").replace("]", "\\]")
    return f"[{escaped}]({href})" if href else text


def site_url() -> str:
    return str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def absolute(view: str, key: str | int, fallback: str) -> str:
    """An absolute address of a page, in the active language."""
    try:
        path = reverse(view, args=[key])
    except NoReverseMatch:
        path = f"/{translation.get_language() or settings.LANGUAGE_CODE}/{fallback}"
    return site_url() + path


def item_url(item: ActionItem) -> str:
    return absolute("actions:detail", item.pk, f"action-items/{item.pk}/")


def marker_for(item: ActionItem, token: str) -> str:
    return f"hotwash:{item.ref}:{token}"


def build_draft(
    item: ActionItem,
    *,
    marker: str,
    language: str,
    extra_labels: list[str],
    assignee: str | None = None,
) -> IssueDraft:
    """The issue for `item`. A private incident's title is not sent: only its
    reference and a link that works for people allowed to see it."""
    with translation.override(language):
        paragraphs: list[Paragraph] = []
        paragraphs.append(
            [
                (_("Action item %(ref)s from Hotwash: ") % {"ref": item.ref}, None),
                (item_url(item), item_url(item)),
            ]
        )
        if item.description.strip():
            paragraphs.append([(item.description.strip(), None)])
        facts: list[str] = []
        if item.owner is not None:
            name = item.owner.get_full_name() or item.owner.get_username()
            facts.append(_("Owner: %(name)s") % {"name": name})
        if item.due_on is not None:
            facts.append(_("Due: %(date)s") % {"date": item.due_on.isoformat()})
        facts.append(_("Priority: %(priority)s") % {"priority": item.get_priority_display()})
        facts.append(_("Kind: %(kind)s") % {"kind": item.get_kind_display()})
        paragraphs.append([(" · ".join(facts), None)])
        incident = item.incident
        if incident is not None:
            label = (
                _("Incident %(ref)s (private)") % {"ref": incident.ref}
                if incident.private
                else _("Incident %(ref)s: %(title)s")
                % {"ref": incident.ref, "title": incident.title}
            )
            url = absolute("incidents:detail", incident.ref, f"incidents/{incident.ref}/")
            paragraphs.append([(label, url)])
        postmortem = item.postmortem
        if postmortem is not None and not (incident is not None and incident.private):
            url = absolute("postmortems:detail", postmortem.pk, f"postmortems/{postmortem.pk}/")
            label = _("Postmortem %(ref)s: %(title)s") % {
                "ref": postmortem.ref,
                "title": postmortem.title,
            }
            paragraphs.append([(label, url)])
        paragraphs.append(
            [
                (
                    _(
                        "Closing this issue marks the action item done in Hotwash; "
                        "reopening it reopens the item."
                    ),
                    None,
                )
            ]
        )
    return IssueDraft(
        title=f"{item.title} ({item.ref})",
        paragraphs=paragraphs,
        labels=_labels(item, extra_labels),
        due_on=item.due_on,
        marker=marker,
        assignee=assignee,
    )


@dataclass
class IssueChange:
    """What an edit sends to an existing issue: only the fields whose value
    the issue does not show yet (None: leave it alone)."""

    #: The issue's title, "<title> (AI-7)".
    title: str | None = None
    #: The due date changed: its new value, and the one sent before (whose
    #: due: label is replaced).
    due_changed: bool = False
    due_on: date | None = None
    old_due_on: date | None = None
    #: The owner changed: their account in the tracker, or None to unassign.
    assignee_changed: bool = False
    assignee: str | None = None
    #: Close (True) or reopen (False) the issue; `not_planned` for an item
    #: marked won't do rather than done.
    closed: bool | None = None
    not_planned: bool = False
    #: The issue's description again, when a fact it states (owner, due
    #: date) changed.
    draft: IssueDraft | None = None

    def __bool__(self) -> bool:
        return (
            self.title is not None
            or self.due_changed
            or self.assignee_changed
            or self.closed is not None
            or self.draft is not None
        )

    @property
    def fields(self) -> list[str]:
        """The item's fields this change sends, for the audit record."""
        sent = [("title", self.title is not None), ("due", self.due_changed)]
        sent += [("owner", self.assignee_changed), ("state", self.closed is not None)]
        return [name for name, changed in sent if changed]


def due_label(due_on: date | None) -> str | None:
    return f"due:{due_on.isoformat()}" if due_on is not None else None


def with_due_label(labels: list[str], due_on: date | None) -> list[str]:
    """`labels` with Hotwash's due: label for `due_on` instead of any other
    (labels people added in the tracker are kept)."""
    kept = [label for label in labels if not label.startswith("due:")]
    new = due_label(due_on)
    return [*kept, new] if new else kept


def _labels(item: ActionItem, extra: list[str]) -> list[str]:
    """Labels without spaces, so they suit Jira as well as GitHub and GitLab."""
    labels = ["hotwash", f"priority:{item.priority}", f"kind:{item.kind}"]
    if item.incident is not None:
        labels.append(f"severity:SEV{item.incident.severity}")
    if item.due_on is not None:
        labels.append(f"due:{item.due_on.isoformat()}")
    for label in extra:
        if label not in labels:
            labels.append(label)
    return labels
