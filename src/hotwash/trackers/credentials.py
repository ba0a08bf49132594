"""Reading a tracker's token and webhook secret from where its settings say.

They are read at the moment they are needed, never stored: rotating a
secret means changing the variable or the file and, for variables,
restarting the processes (files are re-read every time). A variable whose
name does not start with HOTWASH_SECRET_ is never read, even if a row saved
before that rule names one (core/secret_env.py).
"""

from __future__ import annotations

from pathlib import Path

from hotwash.core.secret_env import SecretEnvRefused, read_secret_env
from hotwash.trackers.models import TrackerConfig

MAX_SECRET_BYTES = 16 * 1024


class CredentialMissing(Exception):
    """The variable is unset or empty, or the file cannot be read. The
    message is a technical detail for an administrator (it names the
    variable or the file, never the value)."""


class CredentialRefused(CredentialMissing):
    """The variable's name is not one Hotwash reads for a tracker."""


def read_secret(env: str, file: str) -> str | None:
    """The secret named by an environment variable or a file; None when
    neither is configured; CredentialMissing when the one configured is
    unusable."""
    if env:
        try:
            value = read_secret_env(env).strip()
        except SecretEnvRefused as refused:
            raise CredentialRefused(str(refused)) from None
        if not value:
            raise CredentialMissing(f"environment variable {env} is not set or empty")
        return value
    if file:
        path = Path(file)
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_SECRET_BYTES + 1)
        except OSError as exc:
            raise CredentialMissing(
                f"secret file {file} cannot be read ({exc.strerror or exc})"
            ) from None
        if len(raw) > MAX_SECRET_BYTES:
            raise CredentialMissing(f"secret file {file} is larger than {MAX_SECRET_BYTES} bytes")
        value = raw.decode("utf-8", errors="replace").strip()
        if not value:
            raise CredentialMissing(f"secret file {file} is empty")
        return value
    return None


def api_token(tracker: TrackerConfig) -> str:
    token = read_secret(tracker.token_env, tracker.token_file)
    if token is None:
        raise CredentialMissing("no token variable or secret file is configured")
    return token


def webhook_secret(tracker: TrackerConfig) -> str | None:
    return read_secret(tracker.webhook_secret_env, tracker.webhook_secret_file)


def describe_source(env: str, file: str) -> str:
    """Where a secret comes from, for the admin (never its value)."""
    if env:
        return f"${env}"
    return file
