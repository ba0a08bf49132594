"""Jira Cloud's REST API v3: /rest/api/3/issue and /rest/api/3/search/jql."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from hotwash.trackers.clients import RemoteIssue, TrackerClient, TrackerError, parse_time
from hotwash.trackers.content import IssueChange, IssueDraft, due_label
from hotwash.trackers.credentials import api_token
from hotwash.trackers.models import AuthMethod, ErrorKind


class JiraClient(TrackerClient):
    """Jira Cloud REST API v3: /rest/api/3/issue and /rest/api/3/search/jql."""

    def auth_headers(self) -> dict[str, str]:
        token = api_token(self.tracker)
        if self.tracker.auth_method == AuthMethod.BASIC:
            pair = f"{self.tracker.username}:{token}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        return {"Authorization": f"Bearer {token}"}

    def rate_limited(self, response: httpx.Response) -> bool:
        return False  # Jira answers 429 to rate limits; a 403 is a permission problem

    def remote(self, data: dict[str, Any]) -> RemoteIssue:
        fields = data.get("fields") or {}
        status = fields.get("status") or {}
        category = (status.get("statusCategory") or {}).get("key")
        return RemoteIssue(
            key=str(data["key"]),
            id=str(data.get("id", "")),
            url=f"{self.base}/browse/{data['key']}",
            closed=category == "done",
            updated_at=parse_time(fields.get("updated")),
        )

    def create_issue(self, draft: IssueDraft) -> RemoteIssue:
        fields: dict[str, Any] = {
            "project": {"key": self.tracker.project},
            "summary": draft.title[:255],
            "issuetype": {"name": self.tracker.issue_type or "Task"},
            "description": draft.adf(),
            "labels": draft.labels,
        }
        if draft.due_on is not None:
            fields["duedate"] = draft.due_on.isoformat()
        if draft.assignee:
            fields["assignee"] = {"accountId": draft.assignee}
        data = self.json(self.request("POST", "/rest/api/3/issue", json={"fields": fields}))
        # The answer carries id, key and self only; a new issue is open.
        return RemoteIssue(
            key=str(data["key"]),
            id=str(data.get("id", "")),
            url=f"{self.base}/browse/{data['key']}",
            closed=False,
            updated_at=None,
        )

    def search(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every issue the query finds, following nextPageToken."""
        token: str | None = None
        for _page in range(self.max_pages):
            body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": self.per_page}
            if token:
                body["nextPageToken"] = token
            data = self.json(self.request("POST", "/rest/api/3/search/jql", json=body))
            yield from (issue for issue in data.get("issues", []) if isinstance(issue, dict))
            token = data.get("nextPageToken")
            if not token or data.get("isLast"):
                return

    def _since(self, since: datetime) -> str:
        # JQL reads dates in the account's time zone, which Hotwash does not
        # know: look a day further back; callers compare states anyway.
        return (since - timedelta(days=1)).astimezone(UTC).strftime("%Y/%m/%d %H:%M")

    def find_by_marker(self, marker: str, since: datetime) -> RemoteIssue | None:
        jql = (
            f'project = "{self.tracker.project}" AND created >= "{self._since(since)}" '
            "ORDER BY created DESC"
        )
        for issue in self.search(jql, ["status", "updated", "description"]):
            description = (issue.get("fields") or {}).get("description")
            if marker in _adf_text(description):
                return self.remote(issue)
        return None

    def issue_states(self, keys: Iterable[str], since: datetime) -> dict[str, RemoteIssue]:
        # "key in (...)" fails as a whole when one issue was deleted or
        # moved; "updated since" never does.
        wanted = set(keys)
        jql = f'project = "{self.tracker.project}" AND updated >= "{self._since(since)}"'
        return {
            str(issue["key"]): self.remote(issue)
            for issue in self.search(jql, ["status", "updated"])
            if str(issue.get("key")) in wanted
        }

    def get_issue(self, key: str) -> RemoteIssue:
        response = self.request(
            "GET", f"/rest/api/3/issue/{quote(key)}", params={"fields": "status,updated"}
        )
        return self.remote(self.json(response))

    def update_issue(self, key: str, change: IssueChange) -> RemoteIssue:
        """PUT /rest/api/3/issue/{key} (204) for the fields, the due: label
        through `update` operations (labels people added stay); the status
        through a workflow transition; then the issue is read again for
        its `updated` time, which neither call answers with."""
        path = f"/rest/api/3/issue/{quote(key)}"
        fields: dict[str, Any] = {}
        labels: list[dict[str, str]] = []
        if change.title is not None:
            fields["summary"] = change.title[:255]
        if change.draft is not None:
            fields["description"] = change.draft.adf()
        if change.due_changed:
            fields["duedate"] = change.due_on.isoformat() if change.due_on else None
            if (old := due_label(change.old_due_on)) is not None:
                labels.append({"remove": old})
            if (new := due_label(change.due_on)) is not None:
                labels.append({"add": new})
        if change.assignee_changed:
            fields["assignee"] = {"accountId": change.assignee} if change.assignee else None
        if fields or labels:
            body: dict[str, Any] = {"fields": fields}
            if labels:
                body["update"] = {"labels": labels}
            self.request("PUT", path, json=body)
        if change.closed is not None:
            self.transition(key, done=change.closed)
        return self.get_issue(key)

    def transition(self, key: str, *, done: bool) -> None:
        """Move the issue into a status of the Done category (done) or out
        of it, by the first transition the workflow offers that gets there;
        a reopen prefers a To Do status to an In Progress one."""
        path = f"/rest/api/3/issue/{quote(key)}/transitions"
        offered = self.json(self.request("GET", path)).get("transitions") or []

        def category(transition: dict[str, Any]) -> str:
            to = transition.get("to") or {}
            return str((to.get("statusCategory") or {}).get("key") or "")

        candidates = [t for t in offered if isinstance(t, dict) and t.get("id")]
        if done:
            chosen = [t for t in candidates if category(t) == "done"]
        else:
            chosen = [t for t in candidates if category(t) == "new"] or [
                t for t in candidates if category(t) not in ("", "done")
            ]
        if not chosen:
            names = ", ".join(str(t.get("name", t.get("id"))) for t in candidates) or "none"
            raise TrackerError(
                ErrorKind.REJECTED,
                f"GET {path}: no transition {'into' if done else 'out of'} the Done category "
                f"(offered: {names})",
            )
        self.request("POST", path, json={"transition": {"id": str(chosen[0]["id"])}})


def _adf_text(node: Any) -> str:
    """All the text of an Atlassian document (or a plain string)."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        return str(node.get("text", "")) + " " + _adf_text(node.get("content"))
    if isinstance(node, list):
        return " ".join(_adf_text(child) for child in node)
    return ""
