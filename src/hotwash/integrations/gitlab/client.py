"""GitLab's REST API v4: /api/v4/projects/{id}/issues."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from hotwash.trackers.clients import RemoteIssue, TrackerClient, iso_time, parse_time
from hotwash.trackers.content import IssueChange, IssueDraft, due_label
from hotwash.trackers.credentials import api_token


class GitLabClient(TrackerClient):
    """GitLab REST API v4: /api/v4/projects/{id}/issues."""

    #: How many iids one listing request names.
    iids_per_request: ClassVar[int] = 100

    def auth_headers(self) -> dict[str, str]:
        return {"PRIVATE-TOKEN": api_token(self.tracker)}

    @property
    def issues_path(self) -> str:
        return f"/api/v4/projects/{quote(self.tracker.project, safe='')}/issues"

    def remote(self, data: dict[str, Any]) -> RemoteIssue:
        return RemoteIssue(
            key=str(data["iid"]),
            id=str(data.get("id", "")),
            url=str(data.get("web_url", "")),
            closed=data.get("state") == "closed",
            updated_at=parse_time(data.get("updated_at")),
        )

    def create_issue(self, draft: IssueDraft) -> RemoteIssue:
        payload: dict[str, Any] = {
            "title": draft.title,
            "description": draft.markdown(),
            "labels": ",".join(draft.labels),
        }
        if draft.due_on is not None:
            payload["due_date"] = draft.due_on.isoformat()
        if draft.assignee:
            payload["assignee_ids"] = [int(draft.assignee)]
        return self.remote(self.json(self.request("POST", self.issues_path, json=payload)))

    def _pages(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every issue of a listing, following X-Next-Page."""
        page: str | None = "1"
        for _page in range(self.max_pages):
            if not page:
                return
            response = self.request("GET", self.issues_path, params={**params, "page": page})
            for issue in self.json(response):
                if isinstance(issue, dict):
                    yield issue
            page = response.headers.get("x-next-page", "").strip() or None

    def find_by_marker(self, marker: str, since: datetime) -> RemoteIssue | None:
        params = {
            "created_after": iso_time(since),
            "order_by": "created_at",
            "sort": "desc",
            "per_page": self.per_page,
        }
        for issue in self._pages(params):
            if marker in (issue.get("description") or ""):
                return self.remote(issue)
        return None

    def issue_states(self, keys: Iterable[str], since: datetime) -> dict[str, RemoteIssue]:
        # iids[] names the issues exactly; a deleted one is simply absent.
        wanted = sorted(set(keys), key=lambda key: (len(key), key))
        found: dict[str, RemoteIssue] = {}
        for start in range(0, len(wanted), self.iids_per_request):
            chunk = wanted[start : start + self.iids_per_request]
            params: dict[str, Any] = {
                "iids[]": chunk,
                "updated_after": iso_time(since),
                "per_page": self.per_page,
            }
            for issue in self._pages(params):
                found[str(issue["iid"])] = self.remote(issue)
        return found

    def get_issue(self, key: str) -> RemoteIssue:
        return self.remote(self.json(self.request("GET", f"{self.issues_path}/{quote(key)}")))

    def update_issue(self, key: str, change: IssueChange) -> RemoteIssue:
        """PUT /api/v4/projects/{id}/issues/{iid}: only the attributes
        given change; labels through add_labels and remove_labels, so those
        people added stay."""
        payload: dict[str, Any] = {}
        if change.title is not None:
            payload["title"] = change.title
        if change.draft is not None:
            payload["description"] = change.draft.markdown()
        if change.due_changed:
            payload["due_date"] = change.due_on.isoformat() if change.due_on else None
            if (old := due_label(change.old_due_on)) is not None:
                payload["remove_labels"] = old
            if (new := due_label(change.due_on)) is not None:
                payload["add_labels"] = new
        if change.assignee_changed:
            # GitLab: 0 unassigns everyone.
            payload["assignee_ids"] = [int(change.assignee)] if change.assignee else [0]
        if change.closed is not None:
            payload["state_event"] = "close" if change.closed else "reopen"
        path = f"{self.issues_path}/{quote(key)}"
        return self.remote(self.json(self.request("PUT", path, json=payload)))
