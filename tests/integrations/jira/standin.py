"""Jira Cloud REST API v3 stand-in: issues of one project.

Implements POST /rest/api/3/issue, GET /rest/api/3/issue/{key}?fields=...,
PUT /rest/api/3/issue/{key} (fields summary, description, duedate,
assignee; `update` labels add/remove; 204, or 400 with `errors`), GET and
POST /rest/api/3/issue/{key}/transitions (a To Do -> In Progress -> Done
workflow; 204, or 400 for a transition the issue's status does not offer)
and POST /rest/api/3/search/jql (the JQL Hotwash sends: project = "KEY"
AND created/updated >= "yyyy/MM/dd HH:mm", ORDER BY; maxResults,
nextPageToken, isLast); basic (e-mail and API token) or bearer auth; 429
with Retry-After and X-RateLimit-Reset through `fail_next`. Webhooks carry
X-Hub-Signature (HMAC-SHA256), as Jira Cloud's admin webhooks with a secret do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any

from tests.support.tracker_standin import Recorded, Reply, StandIn, now

DONE = {"id": "10002", "name": "Done", "statusCategory": {"key": "done", "name": "Done"}}
TODO = {"id": "10000", "name": "To Do", "statusCategory": {"key": "new", "name": "To Do"}}
DOING = {
    "id": "10001",
    "name": "In Progress",
    "statusCategory": {"key": "indeterminate", "name": "In Progress"},
}
# The workflow: transition id -> (its name, the status it leads to), and
# which transitions each status offers.
TRANSITIONS = {"11": ("To Do", TODO), "21": ("In Progress", DOING), "31": ("Done", DONE)}
OFFERED = {"To Do": ["21", "31"], "In Progress": ["11", "31"], "Done": ["11"]}

JQL = re.compile(
    r'^project = "(?P<project>[A-Z0-9_]+)" AND (?P<field>created|updated) >= '
    r'"(?P<when>\d{4}/\d{2}/\d{2} \d{2}:\d{2})"(?: ORDER BY (?P<order>\w+) (?P<dir>ASC|DESC))?$'
)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.000+0000").replace(tzinfo=UTC)


class JiraStandIn(StandIn):
    def __init__(
        self,
        *,
        project: str = "OPS",
        email: str = "bot@example.com",
        token: str = "jira-token",
        bearer: bool = False,
    ) -> None:
        self.project = project
        self.email = email
        self.token = token
        self.bearer = bearer
        self.issues: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, int] = {}
        # The site's accounts, by accountId.
        self.accounts = {"5b10ac8d82e05b22cc7d4ef5": "Sam Lee"}
        super().__init__()

    def routes(self) -> None:
        self.route("POST", "/rest/api/3/issue", self.create)
        self.route("GET", r"/rest/api/3/issue/([A-Z0-9_]+-\d+)", self.get)
        self.route("PUT", r"/rest/api/3/issue/([A-Z0-9_]+-\d+)", self.edit)
        self.route("GET", r"/rest/api/3/issue/([A-Z0-9_]+-\d+)/transitions", self.transitions)
        self.route("POST", r"/rest/api/3/issue/([A-Z0-9_]+-\d+)/transitions", self.transition)
        self.route("POST", "/rest/api/3/search/jql", self.search)

    def authorised(self, headers: dict[str, str]) -> bool:
        if self.bearer:
            return headers.get("authorization") == f"Bearer {self.token}"
        pair = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return headers.get("authorization") == f"Basic {pair}"

    def add_issue(self, summary: str, description: Any = None, **fields: Any) -> dict[str, Any]:
        number = len(self.issues) + 1
        key = f"{self.project}-{number}"
        moment = _stamp(now())
        issue = {
            "id": str(10000 + number),
            "key": key,
            "self": f"{self.url}/rest/api/3/issue/{10000 + number}",
            "fields": {
                "summary": summary,
                "description": description,
                "status": dict(TODO),
                "project": {"key": self.project},
                "created": moment,
                "updated": moment,
                **fields,
            },
        }
        self.issues[key] = issue
        return issue

    def create(self, request: Recorded) -> Reply:
        fields = (request.body or {}).get("fields") or {}
        errors = {}
        if (fields.get("project") or {}).get("key") != self.project:
            errors["project"] = "Specify a valid project ID or key"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if " " in "".join(fields.get("labels", [])):
            errors["labels"] = "Labels cannot contain spaces."
        if errors:
            return Reply(400, {"errorMessages": [], "errors": errors})
        extra = {k: v for k, v in fields.items() if k not in ("summary", "description", "project")}
        issue = self.add_issue(fields["summary"], fields.get("description"), **extra)
        return Reply(201, {"id": issue["id"], "key": issue["key"], "self": issue["self"]})

    def _view(self, issue: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        return {
            "id": issue["id"],
            "key": issue["key"],
            "self": issue["self"],
            "fields": {k: v for k, v in issue["fields"].items() if k in fields},
        }

    def get(self, request: Recorded, key: str) -> Reply:
        issue = self.issues.get(key)
        if issue is None:
            return Reply(
                404,
                {
                    "errorMessages": [
                        "Issue does not exist or you do not have permission to see it."
                    ],
                    "errors": {},
                },
            )
        fields = (request.query.get("fields") or ["status"])[0].split(",")
        return Reply(200, self._view(issue, fields))

    def _missing(self) -> Reply:
        return Reply(
            404,
            {
                "errorMessages": ["Issue does not exist or you do not have permission to see it."],
                "errors": {},
            },
        )

    def edit(self, request: Recorded, key: str) -> Reply:
        """Edit issue: `fields` set values, `update` runs operations."""
        issue = self.issues.get(key)
        if issue is None:
            return self._missing()
        body = request.body if isinstance(request.body, dict) else {}
        fields = body.get("fields") or {}
        operations = body.get("update") or {}
        errors = {}
        for name in set(fields) | set(operations):
            if name not in ("summary", "description", "duedate", "assignee", "labels"):
                errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate screen, "
                    "or unknown."
                )
        if "summary" in fields and not fields["summary"]:
            errors["summary"] = "You must specify a summary of the issue."
        assignee = fields.get("assignee")
        if assignee is not None and assignee.get("accountId") not in self.accounts:
            errors["assignee"] = "User 'x' cannot be assigned issues."
        if errors:
            return Reply(400, {"errorMessages": [], "errors": errors})
        stored = issue["fields"]
        for name, value in fields.items():
            stored[name] = value
        for operation in operations.get("labels", []):
            labels = stored.setdefault("labels", [])
            if "remove" in operation and operation["remove"] in labels:
                labels.remove(operation["remove"])
            if "add" in operation and operation["add"] not in labels:
                labels.append(operation["add"])
        stored["updated"] = _stamp(now())
        return Reply(204)

    def transitions(self, request: Recorded, key: str) -> Reply:
        issue = self.issues.get(key)
        if issue is None:
            return self._missing()
        offered = OFFERED[issue["fields"]["status"]["name"]]
        return Reply(
            200,
            {
                "transitions": [
                    {"id": tid, "name": TRANSITIONS[tid][0], "to": dict(TRANSITIONS[tid][1])}
                    for tid in offered
                ]
            },
        )

    def transition(self, request: Recorded, key: str) -> Reply:
        issue = self.issues.get(key)
        if issue is None:
            return self._missing()
        wanted = str(((request.body or {}).get("transition") or {}).get("id", ""))
        if wanted not in OFFERED[issue["fields"]["status"]["name"]]:
            return Reply(
                400,
                {
                    "errorMessages": [f"Transition id '{wanted}' is not valid for this issue."],
                    "errors": {},
                },
            )
        self._set_status(key, TRANSITIONS[wanted][1])
        return Reply(204)

    def search(self, request: Recorded) -> Reply:
        body = request.body or {}
        match = JQL.match(str(body.get("jql", "")))
        if match is None:
            return Reply(400, {"errorMessages": ["Error in the JQL Query."], "errors": {}})
        since = datetime.strptime(match["when"], "%Y/%m/%d %H:%M").replace(tzinfo=UTC)
        field = match["field"]
        found = [
            issue
            for issue in self.issues.values()
            if issue["fields"]["project"]["key"] == match["project"]
            and _parse(issue["fields"][field]) >= since
        ]
        found.sort(key=lambda i: int(i["id"]), reverse=match["dir"] == "DESC")
        per_page = max(1, min(100, int(body.get("maxResults", 50))))
        start = self._tokens.pop(body["nextPageToken"], 0) if body.get("nextPageToken") else 0
        page = found[start : start + per_page]
        reply: dict[str, Any] = {
            "issues": [self._view(i, list(body.get("fields") or ["status"])) for i in page],
            "isLast": start + per_page >= len(found),
        }
        if not reply["isLast"]:
            token = f"page-{len(self._tokens) + 1}-{start + per_page}"
            self._tokens[token] = start + per_page
            reply["nextPageToken"] = token
        return Reply(200, reply)

    def _set_status(self, key: str, status: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            issue = self.issues[key]
            old = issue["fields"]["status"]
            issue["fields"]["status"] = dict(status)
            issue["fields"]["updated"] = _stamp(now())
            return {"from": old, "to": status, "issue": json.loads(json.dumps(issue))}

    def close(self, key: str) -> dict[str, Any]:
        return self._set_status(key, DONE)

    def reopen(self, key: str) -> dict[str, Any]:
        return self._set_status(key, TODO)

    def webhook(
        self,
        key: str,
        secret: str,
        *,
        event: str = "jira:issue_updated",
        status_change: bool = True,
    ) -> tuple[bytes, dict[str, str]]:
        """Jira Cloud's webhook for issue `key` in its current state."""
        issue = self.issues.get(key) or {
            "id": "1",
            "key": key,
            "fields": {
                "status": dict(DONE),
                "project": {"key": key.split("-")[0]},
                "updated": _stamp(now()),
            },
        }
        status = issue["fields"]["status"]
        items = (
            [{"field": "status", "fieldId": "status", "toString": status["name"]}]
            if status_change
            else [{"field": "summary", "fieldId": "summary"}]
        )
        payload = {
            "timestamp": int(now().timestamp() * 1000),
            "webhookEvent": event,
            "issue_event_type_name": "issue_generic",
            "issue": {"id": issue["id"], "key": key, "fields": issue["fields"]},
            "changelog": {"id": "1", "items": items},
        }
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"X-Hub-Signature": signature, "X-Atlassian-Webhook-Identifier": "1"}
