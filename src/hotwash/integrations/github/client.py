"""GitHub's REST API: /repos/{owner}/{repo}/issues."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from hotwash.trackers.clients import RemoteIssue, TrackerClient, iso_time, parse_time
from hotwash.trackers.content import IssueChange, IssueDraft, with_due_label
from hotwash.trackers.credentials import api_token


class GitHubClient(TrackerClient):
    """GitHub REST API: /repos/{owner}/{repo}/issues."""

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {api_token(self.tracker)}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    @property
    def issues_path(self) -> str:
        owner, _slash, repo = self.tracker.project.partition("/")
        return f"/repos/{quote(owner, safe='')}/{quote(repo, safe='')}/issues"

    def remote(self, data: dict[str, Any]) -> RemoteIssue:
        return RemoteIssue(
            key=str(data["number"]),
            id=str(data.get("id", "")),
            url=str(data.get("html_url", "")),
            closed=data.get("state") == "closed",
            updated_at=parse_time(data.get("updated_at")),
        )

    def create_issue(self, draft: IssueDraft) -> RemoteIssue:
        payload: dict[str, Any] = {
            "title": draft.title,
            "body": draft.markdown(),
            "labels": draft.labels,
        }
        if draft.assignee:
            payload["assignees"] = [draft.assignee]
        return self.remote(self.json(self.request("POST", self.issues_path, json=payload)))

    def _pages(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every issue of a listing, following the Link header's rel="next"."""
        url: str | None = self.issues_path
        query: dict[str, Any] | None = params
        for _page in range(self.max_pages):
            if url is None:
                return
            response = self.request("GET", url, params=query)
            for issue in self.json(response):
                if isinstance(issue, dict) and "pull_request" not in issue:
                    yield issue
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query

    def find_by_marker(self, marker: str, since: datetime) -> RemoteIssue | None:
        params = {
            "state": "all",
            "sort": "created",
            "direction": "desc",
            "since": iso_time(since),
            "per_page": self.per_page,
        }
        for issue in self._pages(params):
            if marker in (issue.get("body") or ""):
                return self.remote(issue)
        return None

    def issue_states(self, keys: Iterable[str], since: datetime) -> dict[str, RemoteIssue]:
        wanted = set(keys)
        params = {"state": "all", "since": iso_time(since), "per_page": self.per_page}
        return {
            str(issue["number"]): self.remote(issue)
            for issue in self._pages(params)
            if str(issue.get("number")) in wanted
        }

    def get_issue(self, key: str) -> RemoteIssue:
        return self.remote(self.json(self.request("GET", f"{self.issues_path}/{quote(key)}")))

    def update_issue(self, key: str, change: IssueChange) -> RemoteIssue:
        """PATCH /repos/{owner}/{repo}/issues/{number}. GitHub has no due
        date field: the due date is in the body and the due: label. Labels
        are replaced as a whole, so a new due date first reads the issue's
        labels to keep those people added."""
        path = f"{self.issues_path}/{quote(key)}"
        payload: dict[str, Any] = {}
        if change.title is not None:
            payload["title"] = change.title
        if change.draft is not None:
            payload["body"] = change.draft.markdown()
        if change.due_changed:
            current = self.json(self.request("GET", path))
            names = [
                str(label.get("name", "")) if isinstance(label, dict) else str(label)
                for label in current.get("labels") or []
            ]
            payload["labels"] = with_due_label(names, change.due_on)
        if change.assignee_changed:
            payload["assignees"] = [change.assignee] if change.assignee else []
        if change.closed is not None:
            payload["state"] = "closed" if change.closed else "open"
            if change.closed:
                payload["state_reason"] = "not_planned" if change.not_planned else "completed"
            else:
                payload["state_reason"] = "reopened"
        return self.remote(self.json(self.request("PATCH", path, json=payload)))
