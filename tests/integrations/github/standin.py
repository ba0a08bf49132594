"""GitHub REST API stand-in: issues of one repository.

Implements POST /repos/{owner}/{repo}/issues, GET /repos/{owner}/{repo}/issues
(state, since, sort, direction, per_page, page; Link header with rel="next"
and rel="last"), GET /repos/{owner}/{repo}/issues/{number} and PATCH
/repos/{owner}/{repo}/issues/{number} (title, body, state with state_reason,
assignees and labels replaced as wholes; 422 for a bad state or an
assignee who is not a collaborator); bearer-token auth; 403 with X-RateLimit-Remaining: 0 or 429 with Retry-After through
`fail_next`. Webhooks carry X-Hub-Signature-256 and X-GitHub-Event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from tests.support.tracker_standin import Recorded, Reply, StandIn, iso, now, one, page_of


class GitHubStandIn(StandIn):
    def __init__(self, *, token: str = "gh-token", repository: str = "acme/payments") -> None:
        self.token = token
        self.repository = repository
        # Who may be assigned (GitHub: the repository's collaborators).
        self.collaborators = {"octocat", "hubot"}
        self.issues: dict[int, dict[str, Any]] = {}
        self._next_id = 1000
        super().__init__()

    def routes(self) -> None:
        base = f"/repos/{self.repository}/issues"
        self.route("POST", base, self.create)
        self.route("GET", base, self.list)
        self.route("GET", base + r"/(\d+)", self.get)
        self.route("PATCH", base + r"/(\d+)", self.edit)

    def authorised(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.token}"

    # --- API -----------------------------------------------------------------------

    def add_issue(self, title: str, body: str = "", *, state: str = "open") -> dict[str, Any]:
        number = len(self.issues) + 1
        self._next_id += 1
        moment = iso(now())
        issue = {
            "id": self._next_id,
            "node_id": uuid.uuid4().hex,
            "number": number,
            "title": title,
            "body": body,
            "state": state,
            "labels": [],
            "assignees": [],
            "state_reason": None,
            "html_url": f"https://github.example/{self.repository}/issues/{number}",
            "created_at": moment,
            "updated_at": moment,
        }
        self.issues[number] = issue
        return issue

    def create(self, request: Recorded) -> Reply:
        data = request.body if isinstance(request.body, dict) else {}
        if not data.get("title"):
            return Reply(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}],
                },
            )
        issue = self.add_issue(data["title"], data.get("body") or "")
        issue["labels"] = [{"name": name} for name in data.get("labels", [])]
        issue["assignees"] = [{"login": login} for login in data.get("assignees", [])]
        return Reply(201, issue)

    def edit(self, request: Recorded, number: str) -> Reply:
        """Update an issue: the fields sent, and only those."""
        issue = self.issues.get(int(number))
        if issue is None:
            return Reply(404, {"message": "Not Found"})
        data = request.body if isinstance(request.body, dict) else {}
        state = data.get("state", issue["state"])
        reason = data.get("state_reason")
        if state not in ("open", "closed") or reason not in (
            None,
            "completed",
            "not_planned",
            "reopened",
        ):
            return _invalid("state")
        unknown = [login for login in data.get("assignees", []) if login not in self.collaborators]
        if unknown:
            return _invalid("assignees")
        for field in ("title", "body"):
            if field in data:
                issue[field] = data[field]
        if "labels" in data:
            issue["labels"] = [{"name": name} for name in data["labels"]]
        if "assignees" in data:
            issue["assignees"] = [{"login": login} for login in data["assignees"]]
        if state != issue["state"]:
            issue["state"] = state
            issue["state_reason"] = reason if state == "closed" else "reopened"
        issue["updated_at"] = iso(now())
        return Reply(200, issue)

    def list(self, request: Recorded) -> Reply:
        query = request.query
        state = one(query, "state", "open")
        issues = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        if since := one(query, "since"):
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
            issues = [
                i
                for i in issues
                if datetime.fromisoformat(i["updated_at"].replace("Z", "+00:00")) >= moment
            ]
        key = "created_at" if one(query, "sort", "created") == "created" else "updated_at"
        issues.sort(
            key=lambda i: (i[key], i["number"]), reverse=one(query, "direction", "desc") == "desc"
        )
        items, page, last = page_of(issues, query)
        links = []
        params = {k: v[0] for k, v in query.items()}
        base = f"{self.url}{request.path}"
        if page < last:
            links.append(f'<{base}?{urlencode({**params, "page": page + 1})}>; rel="next"')
            links.append(f'<{base}?{urlencode({**params, "page": last})}>; rel="last"')
        return Reply(200, items, {"Link": ", ".join(links)} if links else {})

    def get(self, request: Recorded, number: str) -> Reply:
        issue = self.issues.get(int(number))
        if issue is None:
            return Reply(404, {"message": "Not Found"})
        return Reply(200, issue)

    def labels_of(self, number: int) -> tuple[str, ...]:
        # (A tuple: `list` is this class's listing route.)
        return tuple(label["name"] for label in self.issues[number]["labels"])

    # --- a person in GitHub ----------------------------------------------------------

    def _set_state(self, number: int, state: str) -> dict[str, Any]:
        with self._lock:
            issue = self.issues[number]
            issue["state"] = state
            issue["updated_at"] = iso(now())
            return dict(issue)

    def close(self, number: int) -> dict[str, Any]:
        return self._set_state(number, "closed")

    def reopen(self, number: int) -> dict[str, Any]:
        return self._set_state(number, "open")

    def webhook(
        self,
        number: int,
        action: str,
        secret: str,
        *,
        event: str = "issues",
        repository: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of GitHub's webhook for `action` on issue `number`."""
        issue = self.issues.get(number) or {
            "number": number,
            "state": "open",
            "updated_at": iso(now()),
        }
        payload = {
            "action": action,
            "issue": issue,
            "repository": {"full_name": repository or self.repository},
            "sender": {"login": "octocat"},
        }
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": uuid.uuid4().hex,
            "X-Hub-Signature-256": signature,
        }


def _invalid(field: str) -> Reply:
    return Reply(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "Issue", "field": field, "code": "invalid"}],
        },
    )
