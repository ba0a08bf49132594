"""Small clients for the documented REST APIs of GitHub, GitLab and Jira
Cloud: create an issue, find one Hotwash created, read issues' states.

Every failure becomes a TrackerError that says whether trying again can
help (rate limits, outages, timeouts) and, for rate limits, when: the
tracker's own Retry-After / X-RateLimit-Reset / RateLimit-Reset headers.
"""

from __future__ import annotations

import abc
import base64
import email.utils
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from django.utils import timezone

from hotwash.core.outbound import GuardedTransport, OutboundRefused
from hotwash.trackers.content import IssueDraft
from hotwash.trackers.credentials import api_token
from hotwash.trackers.models import AuthMethod, ErrorKind, TrackerConfig, TrackerKind

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_RATE_LIMIT_WAIT = timedelta(seconds=60)
MAX_RATE_LIMIT_WAIT = timedelta(hours=6)
PER_PAGE = 100
# GitLab: how many iids one listing request names.
IIDS_PER_REQUEST = 100
# A poll or a marker search reads at most this many pages, so one tracker
# never holds the worker for long; what is left is read at the next poll.
MAX_PAGES = 20
USER_AGENT = "Hotwash (+https://github.com/hotwash)"


class TrackerError(Exception):
    """A call failed. `kind` says why (models.ErrorKind); `detail` is the
    technical detail for an administrator; `retry_at` is set when trying
    again later can help (the time the tracker asked for, if it did)."""

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        retryable: bool = False,
        retry_at: datetime | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.retryable = retryable or retry_at is not None
        self.retry_at = retry_at


@dataclass
class RemoteIssue:
    key: str  # what the API addresses it by: number, iid, key
    id: str
    url: str
    closed: bool
    updated_at: datetime | None = None


def parse_time(value: Any) -> datetime | None:
    """Timestamps as the three trackers write them (ISO 8601 in several
    dialects, GitLab's "2026-11-26 03:12:00 UTC")."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace(" UTC", "+00:00").replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():  # +0000 -> +00:00
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def retry_time(response: httpx.Response, now: datetime) -> datetime:
    """When the tracker said to come back: Retry-After (seconds or a date),
    GitHub's X-RateLimit-Reset and GitLab's RateLimit-Reset (epoch seconds),
    Jira's X-RateLimit-Reset (ISO 8601). A minute if it said nothing."""
    headers = response.headers
    wait: timedelta | None = None
    retry_after = headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        wait = timedelta(seconds=int(retry_after))
    elif retry_after:
        try:
            wait = email.utils.parsedate_to_datetime(retry_after) - now
        except (TypeError, ValueError):
            wait = None
    if wait is None:
        for name in ("x-ratelimit-reset", "ratelimit-reset"):
            reset = headers.get(name, "").strip()
            if reset.isdigit():
                wait = datetime.fromtimestamp(int(reset), tz=UTC) - now
                break
            if (moment := parse_time(reset)) is not None:
                wait = moment - now
                break
    if wait is None:
        wait = DEFAULT_RATE_LIMIT_WAIT
    wait = min(max(wait, timedelta(seconds=1)), MAX_RATE_LIMIT_WAIT)
    return now + wait


def _excerpt(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(data, dict):
        for key in ("message", "error", "errorMessages", "errors", "error_description"):
            if data.get(key):
                return str(data[key])[:300]
    return str(data)[:300]


class TrackerClient(abc.ABC):
    """The common HTTP handling; one subclass per tracker. Connections go
    through core/outbound.py's guarded transport (no internal addresses in
    production mode, checked after resolving the name); redirects are not
    followed, and absolute URLs (pagination links) must stay on the base's
    origin."""

    def __init__(self, tracker: TrackerConfig, *, transport: httpx.BaseTransport | None = None):
        self.tracker = tracker
        self.base = tracker.api_base
        self._http = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **self.auth_headers()},
            timeout=TIMEOUT,
            transport=transport or GuardedTransport(),
            follow_redirects=False,
        )

    def __enter__(self) -> TrackerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token(self.tracker)}"}

    @property
    def name(self) -> str:
        return str(TrackerKind(self.tracker.kind).label)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if not url.startswith(("http://", "https://")):
            url = self.base + url
        elif not self._same_origin(url):
            raise TrackerError(ErrorKind.UNEXPECTED, f"refusing to follow {url} off {self.base}")
        try:
            response = self._http.request(method, url, **kwargs)
        except OutboundRefused as exc:
            # A setting to change, not an outage: retrying cannot help.
            raise TrackerError(ErrorKind.ADDRESS, f"{method} {url}: {exc}") from None
        except httpx.TimeoutException as exc:
            raise TrackerError(
                ErrorKind.UNAVAILABLE, f"{method} {url}: timed out ({exc})", retryable=True
            ) from None
        except httpx.TransportError as exc:
            raise TrackerError(
                ErrorKind.UNAVAILABLE, f"{method} {url}: {exc}", retryable=True
            ) from None
        if response.is_success:
            return response
        raise self.error_for(method, url, response)

    def _same_origin(self, url: str) -> bool:
        ours, theirs = urlsplit(self.base), urlsplit(url)
        return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)

    def error_for(self, method: str, url: str, response: httpx.Response) -> TrackerError:
        status = response.status_code
        detail = f"{method} {urlsplit(url).path}: HTTP {status}: {_excerpt(response)}"
        now = timezone.now()
        if status == 429 or (status == 403 and self.rate_limited(response)):
            return TrackerError(ErrorKind.RATE_LIMITED, detail, retry_at=retry_time(response, now))
        if status in (401, 403):
            return TrackerError(ErrorKind.AUTH, detail)
        if status == 404:
            return TrackerError(ErrorKind.NOT_FOUND, detail)
        if status in (400, 409, 410, 422):
            return TrackerError(ErrorKind.REJECTED, detail)
        if status >= 500 or status == 408:
            return TrackerError(ErrorKind.UNAVAILABLE, detail, retryable=True)
        return TrackerError(ErrorKind.UNEXPECTED, detail)

    def rate_limited(self, response: httpx.Response) -> bool:
        """GitHub answers 403 to an exhausted rate limit or a secondary limit."""
        return (
            response.headers.get("x-ratelimit-remaining") == "0"
            or "retry-after" in response.headers
        )

    def json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise TrackerError(
                ErrorKind.UNEXPECTED,
                f"{response.request.method} {response.request.url.path}: not JSON",
                retryable=True,
            ) from None

    # What each tracker implements.
    @abc.abstractmethod
    def create_issue(self, draft: IssueDraft) -> RemoteIssue: ...

    @abc.abstractmethod
    def find_by_marker(self, marker: str, since: datetime) -> RemoteIssue | None: ...

    @abc.abstractmethod
    def issue_states(self, keys: Iterable[str], since: datetime) -> dict[str, RemoteIssue]:
        """The current state of those of `keys` that changed since `since`
        (they may include others; callers compare)."""

    @abc.abstractmethod
    def get_issue(self, key: str) -> RemoteIssue: ...


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        for _page in range(MAX_PAGES):
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
            "since": _iso(since),
            "per_page": PER_PAGE,
        }
        for issue in self._pages(params):
            if marker in (issue.get("body") or ""):
                return self.remote(issue)
        return None

    def issue_states(self, keys: Iterable[str], since: datetime) -> dict[str, RemoteIssue]:
        wanted = set(keys)
        params = {"state": "all", "since": _iso(since), "per_page": PER_PAGE}
        return {
            str(issue["number"]): self.remote(issue)
            for issue in self._pages(params)
            if str(issue.get("number")) in wanted
        }

    def get_issue(self, key: str) -> RemoteIssue:
        return self.remote(self.json(self.request("GET", f"{self.issues_path}/{quote(key)}")))


class GitLabClient(TrackerClient):
    """GitLab REST API v4: /api/v4/projects/{id}/issues."""

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
        return self.remote(self.json(self.request("POST", self.issues_path, json=payload)))

    def _pages(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every issue of a listing, following X-Next-Page."""
        page: str | None = "1"
        for _page in range(MAX_PAGES):
            if not page:
                return
            response = self.request("GET", self.issues_path, params={**params, "page": page})
            for issue in self.json(response):
                if isinstance(issue, dict):
                    yield issue
            page = response.headers.get("x-next-page", "").strip() or None

    def find_by_marker(self, marker: str, since: datetime) -> RemoteIssue | None:
        params = {
            "created_after": _iso(since),
            "order_by": "created_at",
            "sort": "desc",
            "per_page": PER_PAGE,
        }
        for issue in self._pages(params):
            if marker in (issue.get("description") or ""):
                return self.remote(issue)
        return None

    def issue_states(self, keys: Iterable[str], since: datetime) -> dict[str, RemoteIssue]:
        # iids[] names the issues exactly; a deleted one is simply absent.
        wanted = sorted(set(keys), key=lambda key: (len(key), key))
        found: dict[str, RemoteIssue] = {}
        for start in range(0, len(wanted), IIDS_PER_REQUEST):
            chunk = wanted[start : start + IIDS_PER_REQUEST]
            params: dict[str, Any] = {
                "iids[]": chunk,
                "updated_after": _iso(since),
                "per_page": PER_PAGE,
            }
            for issue in self._pages(params):
                found[str(issue["iid"])] = self.remote(issue)
        return found

    def get_issue(self, key: str) -> RemoteIssue:
        return self.remote(self.json(self.request("GET", f"{self.issues_path}/{quote(key)}")))


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
        for _page in range(MAX_PAGES):
            body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": PER_PAGE}
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


def _adf_text(node: Any) -> str:
    """All the text of an Atlassian document (or a plain string)."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        return str(node.get("text", "")) + " " + _adf_text(node.get("content"))
    if isinstance(node, list):
        return " ".join(_adf_text(child) for child in node)
    return ""


CLIENTS: dict[str, type[TrackerClient]] = {
    TrackerKind.GITHUB: GitHubClient,
    TrackerKind.GITLAB: GitLabClient,
    TrackerKind.JIRA: JiraClient,
}


def client_for(tracker: TrackerConfig) -> TrackerClient:
    """A client for `tracker`; CredentialMissing if its token is unusable."""
    return CLIENTS[tracker.kind](tracker)
