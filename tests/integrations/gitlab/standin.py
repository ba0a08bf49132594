"""GitLab REST API v4 stand-in: issues of one project.

Implements POST /api/v4/projects/{id}/issues and GET
/api/v4/projects/{id}/issues (iids[], updated_after, created_after,
per_page, page; X-Page, X-Next-Page, X-Total-Pages headers) and GET
/api/v4/projects/{id}/issues/{iid} and PUT /api/v4/projects/{id}/issues/{iid}
(title, description, due_date, assignee_ids with 0 to unassign,
add_labels/remove_labels, state_event close/reopen; 400 for anything else
or an unknown user), where {id} is the numeric id or the
URL-encoded path; PRIVATE-TOKEN auth; 429 with RateLimit-Reset and
Retry-After through `fail_next`. Webhooks carry X-Gitlab-Token and
X-Gitlab-Event: Issue Hook.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

from tests.support.tracker_standin import Recorded, Reply, StandIn, iso, now, one, page_of


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class GitLabStandIn(StandIn):
    def __init__(
        self, *, token: str = "gl-token", project_id: int = 42, path: str = "acme/payments"
    ) -> None:
        self.token = token
        self.project_id = project_id
        self.path = path
        self.issues: dict[int, dict[str, Any]] = {}
        # The instance's users, by id.
        self.users = {7: "tanuki", 8: "fox"}
        super().__init__()

    def routes(self) -> None:
        ids = f"(?:{self.project_id}|{quote(self.path, safe='')})"
        base = f"/api/v4/projects/{ids}/issues"
        self.route("POST", base, self.create)
        self.route("GET", base, self.list)
        self.route("GET", base + r"/(\d+)", self.get)
        self.route("PUT", base + r"/(\d+)", self.edit)

    def authorised(self, headers: dict[str, str]) -> bool:
        return headers.get("private-token") == self.token

    def add_issue(self, title: str, description: str = "") -> dict[str, Any]:
        iid = len(self.issues) + 1
        moment = iso(now())
        issue = {
            "id": 5000 + iid,
            "iid": iid,
            "project_id": self.project_id,
            "title": title,
            "description": description,
            "state": "opened",
            "labels": [],
            "due_date": None,
            "assignees": [],
            "web_url": f"https://gitlab.example/{self.path}/-/issues/{iid}",
            "created_at": moment,
            "updated_at": moment,
        }
        self.issues[iid] = issue
        return issue

    def create(self, request: Recorded) -> Reply:
        data = request.body if isinstance(request.body, dict) else {}
        if not data.get("title"):
            return Reply(400, {"message": {"title": ["can't be blank"]}})
        issue = self.add_issue(data["title"], data.get("description") or "")
        issue["labels"] = [x for x in str(data.get("labels", "")).split(",") if x]
        issue["due_date"] = data.get("due_date")
        issue["assignees"] = self._assignees(data.get("assignee_ids") or [])
        return Reply(201, issue)

    def _assignees(self, ids: list[int]) -> list[dict[str, Any]]:
        return [{"id": i, "username": self.users[i]} for i in ids if i]

    def edit(self, request: Recorded, iid: str) -> Reply:
        """Edit an issue: the attributes sent, and only those."""
        issue = self.issues.get(int(iid))
        if issue is None:
            return Reply(404, {"message": "404 Not found"})
        data = request.body if isinstance(request.body, dict) else {}
        known = {"title", "description", "due_date", "assignee_ids", "state_event"}
        known |= {"add_labels", "remove_labels", "labels"}
        if not data or set(data) - known:
            return Reply(
                400,
                {
                    "error": "title, description, ... are missing, at least one "
                    "parameter must be provided"
                },
            )
        if data.get("state_event") not in (None, "close", "reopen"):
            return Reply(400, {"error": "state_event does not have a valid value"})
        ids = data.get("assignee_ids")
        if ids is not None and any(i and i not in self.users for i in ids):
            return Reply(400, {"message": {"assignees": ["are invalid"]}})
        for field in ("title", "description", "due_date"):
            if field in data:
                issue[field] = data[field]
        if ids is not None:
            issue["assignees"] = self._assignees(ids)
        remove = set(str(data.get("remove_labels", "")).split(","))
        issue["labels"] = [label for label in issue["labels"] if label not in remove]
        for label in str(data.get("add_labels", "")).split(","):
            if label and label not in issue["labels"]:
                issue["labels"].append(label)
        if data.get("state_event") == "close":
            issue["state"] = "closed"
        elif data.get("state_event") == "reopen":
            issue["state"] = "opened"
        issue["updated_at"] = iso(now())
        return Reply(200, issue)

    def list(self, request: Recorded) -> Reply:
        query = request.query
        issues = list(self.issues.values())
        if iids := query.get("iids[]"):
            wanted = {int(x) for x in iids}
            issues = [i for i in issues if i["iid"] in wanted]
        if after := one(query, "updated_after"):
            issues = [i for i in issues if _time(i["updated_at"]) >= _time(after)]
        if after := one(query, "created_after"):
            issues = [i for i in issues if _time(i["created_at"]) >= _time(after)]
        issues.sort(key=lambda i: i["iid"], reverse=one(query, "sort", "desc") == "desc")
        items, page, last = page_of(issues, {**query, "per_page": [one(query, "per_page", "20")]})
        headers = {"X-Page": str(page), "X-Total-Pages": str(last), "X-Total": str(len(issues))}
        headers["X-Next-Page"] = str(page + 1) if page < last else ""
        return Reply(200, items, headers)

    def get(self, request: Recorded, iid: str) -> Reply:
        issue = self.issues.get(int(iid))
        if issue is None:
            return Reply(404, {"message": "404 Not found"})
        return Reply(200, issue)

    def _set_state(self, iid: int, state: str) -> dict[str, Any]:
        with self._lock:
            issue = self.issues[iid]
            issue["state"] = state
            issue["updated_at"] = iso(now())
            return dict(issue)

    def close(self, iid: int) -> dict[str, Any]:
        return self._set_state(iid, "closed")

    def reopen(self, iid: int) -> dict[str, Any]:
        return self._set_state(iid, "opened")

    def webhook(
        self, iid: int, action: str, secret: str, *, project_id: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """GitLab's Issue Hook for `action` (close, reopen, update, ...)."""
        issue = self.issues.get(iid) or {
            "iid": iid,
            "id": 0,
            "state": "opened",
            "updated_at": iso(now()),
        }
        payload = {
            "object_kind": "issue",
            "event_type": "issue",
            "user": {"username": "tanuki"},
            "project": {
                "id": project_id or self.project_id,
                "path_with_namespace": self.path if project_id is None else "other/project",
            },
            "object_attributes": {
                "id": issue["id"],
                "iid": iid,
                "state": issue["state"],
                "action": action,
                "updated_at": issue["updated_at"].replace("T", " ").replace("Z", " UTC"),
            },
        }
        return json.dumps(payload).encode(), {
            "X-Gitlab-Event": "Issue Hook",
            "X-Gitlab-Token": secret,
        }
