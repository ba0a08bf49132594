"""A small client for Hotwash's JSON API, used by the CLI's client commands.

Client commands talk to a running server over HTTP and never touch a
database, so the same `hotwash` install works on a laptop against a remote
instance. Configuration comes from the environment (HOTWASH_URL,
HOTWASH_TOKEN), else from a TOML file ($HOTWASH_CONFIG, or
~/.config/hotwash/config.toml):

    url = "https://hotwash.example.com"
    token = "hw_..."
    timezone = "Europe/Paris"   # optional: zone for times (default: your account's)
    language = "fr"             # optional: language of the CLI's messages

Environment variables win over the file, key by key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

API_PREFIX = "/api/v1"
TIMEOUT_SECONDS = 15.0


class ClientError(Exception):
    """A request that did not succeed, with a message a person can act on.
    `status` is the HTTP status, or None when there was no answer at all."""

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


@dataclass(frozen=True)
class ClientConfig:
    url: str
    token: str
    timezone: str = ""
    language: str = ""


def default_config_path(env: Mapping[str, str]) -> Path:
    if env.get("HOTWASH_CONFIG"):
        return Path(env["HOTWASH_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "hotwash" / "config.toml"


def load_config(env: Mapping[str, str] | None = None) -> ClientConfig:
    """The client configuration, or a ClientError that says how to provide it."""
    # Read here, not in settings.py: this is the configuration of a person's
    # command-line client talking to a remote server, not of the server; a
    # server process has no use for a client's token in its settings.
    env = os.environ if env is None else env
    path = default_config_path(env)
    from_file = _read_config_file(path, required=bool(env.get("HOTWASH_CONFIG")))

    def setting(key: str) -> str:
        return (env.get(f"HOTWASH_{key.upper()}") or str(from_file.get(key) or "")).strip()

    url, token = setting("url"), setting("token")
    if not url or not token:
        raise ClientError(
            _(
                "Hotwash is not configured: set HOTWASH_URL and HOTWASH_TOKEN, or write "
                'url = "..." and token = "..." to %(path)s. Create a token on the server '
                "with: hotwash createtoken USERNAME"
            )
            % {"path": path}
        )
    if not url.startswith(("http://", "https://")):
        raise ClientError(
            _("The Hotwash URL %(url)s must start with http:// or https://.") % {"url": url}
        )
    return ClientConfig(
        url=url.rstrip("/").removesuffix(API_PREFIX),
        token=token,
        timezone=setting("timezone"),
        language=setting("language"),
    )


def _read_config_file(path: Path, *, required: bool) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        if required:
            raise ClientError(
                _("The configuration file %(path)s (HOTWASH_CONFIG) does not exist.")
                % {"path": path}
            ) from None
        return {}
    except OSError as exc:
        raise ClientError(
            _("Cannot read the configuration file %(path)s: %(reason)s")
            % {"path": path, "reason": exc.strerror}
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ClientError(
            _("The configuration file %(path)s is not valid TOML: %(reason)s")
            % {"path": path, "reason": exc}
        ) from None


class ApiClient:
    """Calls the API with the configured token; every failure becomes a
    ClientError carrying the API's own message."""

    def __init__(self, config: ClientConfig, *, transport: httpx.BaseTransport | None = None):
        self.config = config
        headers = {
            "Authorization": f"Bearer {config.token}",
            "Accept": "application/json",
            "User-Agent": "hotwash-cli",
        }
        if config.language:
            headers["Accept-Language"] = config.language
        self._http = httpx.Client(
            base_url=config.url + API_PREFIX,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            transport=transport,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._request("POST", path, json=body)

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._request("PATCH", path, json=body)

    def put(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._request("PUT", path, json=body)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ClientError(
                ngettext(
                    "The Hotwash server at %(url)s did not answer within %(seconds)d second.",
                    "The Hotwash server at %(url)s did not answer within %(seconds)d seconds.",
                    int(TIMEOUT_SECONDS),
                )
                % {"url": self.config.url, "seconds": TIMEOUT_SECONDS}
            ) from None
        except httpx.TransportError as exc:
            raise ClientError(
                _(
                    "Cannot reach the Hotwash server at %(url)s (%(reason)s). Is it running, "
                    "and is HOTWASH_URL right?"
                )
                % {"url": self.config.url, "reason": exc}
            ) from None
        if response.is_success:
            return response.json() if response.content else None
        raise _error_from(response)


def _error_from(response: httpx.Response) -> ClientError:
    """The API's own message when it sent one; otherwise the HTTP status."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        message = data.get("message") or _describe_detail(data.get("detail"))
        if isinstance(message, str) and message:
            message = "\n".join(_every_problem(message, data.get("errors")))
            field = data.get("field")
            return ClientError(
                message,
                status=response.status_code,
                field=field if isinstance(field, str) else None,
            )
    return ClientError(
        _("The server answered %(status)d %(reason)s.")
        % {"status": response.status_code, "reason": response.reason_phrase},
        status=response.status_code,
    )


def _every_problem(message: str, errors: Any) -> list[str]:
    """The message, then every other problem the API listed (a declaration
    missing several required fields names each), once each."""
    lines = [message]
    for item in errors if isinstance(errors, list) else []:
        text = item.get("message") if isinstance(item, dict) else None
        if isinstance(text, str) and text and text not in lines:
            lines.append(text)
    return lines


def _describe_detail(detail: Any) -> str | None:
    """Django Ninja's own error shapes: a string, or a list of pydantic errors."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body",))
        text = str(first.get("msg", ""))
        return f"{where}: {text}" if where else text or None
    return None
