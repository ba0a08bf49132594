"""GitHub's REST API: /repos/{owner}/{repo}/issues."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from hotwash.trackers.clients import RemoteIssue, TrackerClient, iso_time, parse_time
from hotwash.trackers.content import IssueDraft
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
        payload = {"title": draft.title, "body": draft.markdown(), "labels": draft.labels}
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
