"""`{% tracker_panel item as panel %}`: what the item page's tracker box shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from hotwash.actions.models import CLOSED_STATUSES, ActionItem
from hotwash.trackers import services
from hotwash.trackers.display import describe_error, describe_state, tracker_name
from hotwash.trackers.models import SyncState, TrackerConfig, TrackerLink, UpdateState

register = template.Library()


@dataclass
class TrackerPanel:
    link: TrackerLink | None
    tracker: TrackerConfig | None
    tracker_name: str
    project: str
    state: str
    error: str
    can_push: bool
    can_retry: bool


@register.simple_tag(takes_context=True)
def tracker_panel(context: Any, item: ActionItem) -> TrackerPanel | None:
    """None when there is nothing to show: no link and no tracker."""
    link = services.link_of(item)
    tracker = link.tracker if link is not None else services.tracker_of(item)
    if tracker is None:
        return None
    request = context.get("request")
    user = getattr(request, "user", None)
    allowed = user is not None and services.can_push(user, item)
    return TrackerPanel(
        link=link,
        tracker=tracker,
        tracker_name=tracker_name(tracker.kind),
        project=tracker.project,
        state=describe_state(link) if link is not None else "",
        error=describe_error(link) if link is not None and link.error_kind else "",
        can_push=allowed and link is None and item.status not in CLOSED_STATUSES,
        can_retry=allowed
        and link is not None
        and (link.sync_state == SyncState.FAILED or link.update_state == UpdateState.FAILED),
    )
