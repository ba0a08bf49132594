"""What every tracker's client shares: the HTTP handling of a tracker's
documented REST API, and the five things a client does (create an issue,
find one Hotwash created, read issues' states, read one issue, change one). Each
tracker's client is in its integration (hotwash/integrations/<name>/
client.py), found through the registry.

Every failure becomes a TrackerError that says whether trying again can
help (rate limits, outages, timeouts) and, for rate limits, when: the
tracker's own Retry-After / X-RateLimit-Reset / RateLimit-Reset headers.
"""

from __future__ import annotations

import abc
import email.utils
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from django.utils import timezone

from hotwash.core.outbound import GuardedTransport, OutboundRefused
from hotwash.trackers.content import IssueChange, IssueDraft
from hotwash.trackers.credentials import api_token
from hotwash.trackers.models import ErrorKind, TrackerConfig
from hotwash.trackers.registry import trackers

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_RATE_LIMIT_WAIT = timedelta(seconds=60)
MAX_RATE_LIMIT_WAIT = timedelta(hours=6)
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

    #: Issues asked for per page of a listing.
    per_page: ClassVar[int] = 100
    #: A poll or a marker search reads at most this many pages, so one
    #: tracker never holds the worker for long; what is left is read at the
    #: next poll.
    max_pages: ClassVar[int] = 20

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

    @abc.abstractmethod
    def update_issue(self, key: str, change: IssueChange) -> RemoteIssue:
        """Send `change` to issue `key`; the issue as it stands afterwards
        (its `updated_at` lets a late webhook of an older change be told
        apart)."""


def iso_time(moment: datetime) -> str:
    """A time as the trackers' query parameters take it: UTC, Z-suffixed."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_for(tracker: TrackerConfig) -> TrackerClient:
    """A client for `tracker`; CredentialMissing if its token is unusable."""
    return trackers.get(tracker.kind).client(tracker)
