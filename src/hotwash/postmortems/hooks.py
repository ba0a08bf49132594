"""What the apps above postmortems add to its rules, filled at start-up.

Approval waits for the action items, the Markdown export lists them, and a
trigger policy can require a full postmortem; but `actions` and `triggers`
import `postmortems`, not the reverse. So postmortems ask these hooks, which
`hotwash.wiring.startup` fills with the actions' and triggers' functions.
Until then (never, once Django has started) they answer as if no other app
had anything to say. The public pages show what `sharing` confirmed,
through `public_versions`; until it is filled they show nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from hotwash.accounts.permissions import AnyUser
from hotwash.incidents.models import Incident
from hotwash.postmortems.models import Postmortem


@dataclass(frozen=True)
class ListedActionItem:
    """An action item as a postmortem's Markdown export lists it."""

    pk: int
    title: str
    owner: str | None  # a username
    due_on: date | None
    status: str  # its label in the active language


@dataclass(frozen=True)
class PublicText:
    """What the public pages show of a postmortem in one language: the
    public version its author confirmed (hotwash.sharing), never the live
    original. `sections`: the section texts by key, in Markdown."""

    title: str
    sections: dict[str, str]


# Whether a trigger policy demands a full postmortem of this incident.
FullPostmortemRule = Callable[[Incident], bool]
# Why the postmortem cannot be approved yet, one sentence each.
ApprovalCheck = Callable[[Postmortem], list[str]]
# The postmortem's action items this reader may see (None: all of them).
ActionItemLister = Callable[[Postmortem, AnyUser | None], list[ListedActionItem]]
# How many of each postmortem's action items this reader may see are done,
# out of how many, by postmortem id.
ActionProgress = Callable[[list[Postmortem], AnyUser], dict[int, tuple[int, int]]]
# The confirmed public versions of these postmortems in one language, by
# postmortem id; a postmortem without one is left out (and not shown).
PublicVersionReader = Callable[[list[Postmortem], str], dict[int, PublicText]]


def _never(incident: Incident) -> bool:
    return False


def _no_problems(postmortem: Postmortem) -> list[str]:
    return []


def _no_items(postmortem: Postmortem, reader: AnyUser | None) -> list[ListedActionItem]:
    return []


def _no_progress(postmortems: list[Postmortem], reader: AnyUser) -> dict[int, tuple[int, int]]:
    return {}


def _no_public_versions(postmortems: list[Postmortem], language: str) -> dict[int, PublicText]:
    return {}


@dataclass
class Hooks:
    full_postmortem_required: FullPostmortemRule = _never
    approval_blockers: ApprovalCheck = _no_problems
    action_items: ActionItemLister = _no_items
    action_progress: ActionProgress = _no_progress
    public_versions: PublicVersionReader = _no_public_versions


hooks = Hooks()


def fill(
    *,
    full_postmortem_required: FullPostmortemRule,
    approval_blockers: ApprovalCheck,
    action_items: ActionItemLister,
    action_progress: ActionProgress = _no_progress,
    public_versions: PublicVersionReader = _no_public_versions,
) -> None:
    """Called once at start-up by hotwash.wiring.startup."""
    hooks.full_postmortem_required = full_postmortem_required
    hooks.approval_blockers = approval_blockers
    hooks.action_items = action_items
    hooks.action_progress = action_progress
    hooks.public_versions = public_versions
