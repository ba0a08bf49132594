"""Where a rule's PagerDuty routing key comes from, and reading it.

A rule names the key, never holds it (the rules file is not a secret, and
a Delivery's target is shown in the admin):

    pagerduty: {routing_key_env: HOTWASH_SECRET_PAGERDUTY_PLATFORM}
    pagerduty: {routing_key_file: /run/secrets/pagerduty-platform}
    pagerduty: {routing_key: owning-team}

- `routing_key_env`: an environment variable of the worker, any name but
  Hotwash's secret key: the operator who writes the rules file controls
  the environment already (core/secret_env.py). A name that reaches the
  sender from a Delivery row is read only if the rules file in force names
  it, or if it starts with HOTWASH_SECRET_, so whoever can write rows
  cannot make Hotwash send, say, DATABASE_URL to PagerDuty.
- `routing_key_file`: a file (a mounted secret), in one of the folders
  HOTWASH_TRACKER_SECRET_DIRS lists, as for the trackers' tokens; re-read on
  every send, so rotating it needs no restart.
- `routing_key: owning-team`: each team owning one of the incident's
  services, with the key its `pagerduty_routing_key_env` names (a
  HOTWASH_SECRET_ variable, or an absolute path to a secret file). Routing
  writes one delivery per team (the expander in channel.py).

Keys are read when a page is sent, never stored; messages name the variable
or the file, never the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from hotwash.core.secret_env import operator_env_name_problem, read_operator_env
from hotwash.notifications.channels import ChannelRejected
from hotwash.notifications.routing import rules_name
from hotwash.teams.models import Team
from hotwash.trackers.credentials import CredentialMissing, read_secret
from hotwash.trackers.models import secret_dirs

ENV = "routing_key_env"
FILE = "routing_key_file"
TEAM = "routing_key"
OWNING_TEAM = "owning-team"
SOURCES = (ENV, FILE, TEAM)


def check_target(target: Mapping[str, Any]) -> dict[str, Any]:
    """A rule's target, validated (at start-up, with the rules file):
    exactly one of the three sources; ValueError naming what is wrong."""
    if not isinstance(target, Mapping):
        raise ValueError(
            "pagerduty takes a mapping, e.g. {routing_key_env: HOTWASH_SECRET_PAGERDUTY_KEY}"
        )
    unknown = sorted(set(target) - set(SOURCES))
    if unknown:
        raise ValueError(
            f"pagerduty: unknown key {', '.join(unknown)}; known: {', '.join(SOURCES)}"
        )
    given = [key for key in SOURCES if key in target]
    if len(given) != 1:
        raise ValueError(
            "pagerduty needs exactly one of routing_key_env (an environment variable), "
            "routing_key_file (a secret file) or routing_key: owning-team"
        )
    (key,) = given
    value = target[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"pagerduty: {key} must be a non-empty text")
    value = value.strip()
    if key == ENV and (problem := operator_env_name_problem(value)) is not None:
        raise ValueError(f"pagerduty: routing_key_env {value}: {problem}")
    if key == FILE and (problem := secret_file_problem(value)) is not None:
        raise ValueError(f"pagerduty: routing_key_file {value}: {problem}")
    if key == TEAM and value != OWNING_TEAM:
        raise ValueError(
            f"pagerduty: routing_key takes only {OWNING_TEAM!r} (each owning team's key); "
            "never write a key itself in the rules file: name the environment variable "
            "that holds it with routing_key_env"
        )
    return {key: value}


def secret_file_problem(path: str) -> str | None:
    """What is wrong with `path` as a secret file, or None."""
    file = PurePosixPath(path)
    if not file.is_absolute() or ".." in file.parts:
        return "give an absolute path without '..'"
    dirs = secret_dirs()
    if not any(file.is_relative_to(folder) for folder in dirs):
        return (
            "secret files must be in one of these folders (HOTWASH_TRACKER_SECRET_DIRS): "
            + ", ".join(str(folder) for folder in dirs)
        )
    return None


def describe(target: Mapping[str, Any]) -> str:
    """Where the key of `target` comes from, for messages (never the key)."""
    if ENV in target:
        return f"the environment variable {target[ENV]}"
    if FILE in target:
        return f"the secret file {target[FILE]}"
    return f"team {target.get('team') or '?'}'s PagerDuty routing key"


def routing_key(target: Mapping[str, Any]) -> str:
    """The key `target` names, read now; ChannelRejected with a message for
    an administrator when it cannot be (retrying would not help until
    someone changes the configuration)."""
    if TEAM in target:
        env, file = _team_source(str(target.get("team") or ""))
    else:
        env, file = str(target.get(ENV) or ""), str(target.get(FILE) or "")
        if env and rules_name("pagerduty", ENV, env):
            return _operator_key(env)
        if file and (problem := secret_file_problem(file)) is not None:
            raise ChannelRejected(f"PagerDuty routing key file {file}: {problem}.")
    try:
        key = read_secret(env, file)
    except CredentialMissing as missing:
        raise ChannelRejected(f"PagerDuty routing key unavailable: {missing}.") from None
    if key is None:
        raise ChannelRejected("The rule names no PagerDuty routing key.")
    return key


def _operator_key(name: str) -> str:
    key = read_operator_env(name).strip()
    if not key:
        raise ChannelRejected(
            f"PagerDuty routing key unavailable: environment variable {name} is not set or empty."
        )
    return key


def _team_source(slug: str) -> tuple[str, str]:
    if not slug:
        raise ChannelRejected(
            "The rule pages the owning team, but none of the incident's services has an "
            "owning team."
        )
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise ChannelRejected(f"Team {slug} no longer exists.")
    source = team.pagerduty_routing_key_env.strip()
    if not source:
        raise ChannelRejected(
            f"Team {team.name} has no PagerDuty routing key variable: set it on the team "
            "(a HOTWASH_SECRET_ environment variable or a secret file)."
        )
    if source.startswith("/"):
        if (problem := secret_file_problem(source)) is not None:
            raise ChannelRejected(f"Team {team.name}'s PagerDuty key file {source}: {problem}.")
        return "", source
    return source, ""
