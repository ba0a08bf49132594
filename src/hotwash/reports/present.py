"""Reports as JSON-ready dicts, in the caller's language and zone.

Two readers, two shapes of the same schema: a reviewer reads everything (who
filed it when it was named, the comments, who decided); the person who
filed it reads what they wrote and the outcome, never the discussion."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hotwash.core.api.present import local, object_url, username
from hotwash.core.choices import choice_label
from hotwash.reports.models import Kind, Report, ReportComment, Status


def present_comment(comment: ReportComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": username(comment.author),
        "body": comment.body,
        "created_at": local(comment.created_at),
    }


def present_report(
    report: Report, request: HttpRequest, *, for_reviewer: bool, readable: bool = True
) -> dict[str, Any]:
    """`readable`: False for the answer to an anonymous filing, which its
    author cannot open again (it is not theirs any more)."""
    answer: dict[str, Any] = {
        "id": report.ref,
        "number": report.pk,
        "kind": report.kind,
        "kind_name": choice_label(Kind, report.kind),
        "text": report.text,
        "anonymous": report.is_anonymous,
        "created_at": local(report.created_at),
        "status": report.status,
        "status_name": choice_label(Status, report.status),
        "note": report.note,
        "decided_at": local(report.decided_at),
        "postmortem": report.postmortem.ref if report.postmortem is not None else None,
        "incident": report.incident.ref if report.incident is not None else None,
        "url": object_url(request, "reports:detail", report.pk) if readable else None,
        "author": None,
        "decided_by": None,
        "comments": None,
    }
    if for_reviewer:
        answer["author"] = username(report.author)
        answer["decided_by"] = username(report.decided_by)
        answer["comments"] = [present_comment(comment) for comment in report.comments.all()]
    return answer
