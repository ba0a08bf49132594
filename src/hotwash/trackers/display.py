"""Tracker sync state in sentences, in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwash.trackers.models import ErrorKind, SyncState, TrackerLink, UpdateState
from hotwash.trackers.registry import trackers


def tracker_name(kind: str) -> str:
    integration = trackers.find(kind)
    return str(integration.label) if integration is not None else kind


def describe_error(link: TrackerLink) -> str:
    """What went wrong with the last attempt and what to do about it."""
    name = tracker_name(link.tracker.kind)
    values = {"tracker": name}
    kind = link.error_kind
    if kind == ErrorKind.CREDENTIALS:
        return (
            _(
                "Hotwash could not read the token for %(tracker)s. An admin should check the "
                "environment variable or secret file named in the tracker's settings."
            )
            % values
        )
    if kind == ErrorKind.AUTH:
        return (
            _(
                "%(tracker)s refused the token. An admin should check that it is valid and "
                "may create issues in this project."
            )
            % values
        )
    if kind == ErrorKind.NOT_FOUND:
        return (
            _(
                "%(tracker)s does not know this project. An admin should check the project in "
                "the tracker's settings."
            )
            % values
        )
    if kind == ErrorKind.REJECTED:
        return _("%(tracker)s refused the issue Hotwash sent.") % values
    if kind == ErrorKind.RATE_LIMITED:
        return _("%(tracker)s asked Hotwash to slow down (rate limit).") % values
    if kind == ErrorKind.UNAVAILABLE:
        return _("%(tracker)s could not be reached or did not answer in time.") % values
    if kind == ErrorKind.UNEXPECTED:
        return _("%(tracker)s answered in a way Hotwash did not expect.") % values
    if kind == ErrorKind.ADDRESS:
        return (
            _(
                "Hotwash did not connect to %(tracker)s: its address is an internal one "
                "(loopback, private or link-local). An admin should check the API address; "
                "an operator can allow it with HOTWASH_OUTBOUND_ALLOW."
            )
            % values
        )
    return ""


def describe_state(link: TrackerLink) -> str:
    """One line on where the push stands."""
    name = tracker_name(link.tracker.kind)
    if link.sync_state == SyncState.SYNCED:
        return _describe_update(link, name)
    if link.sync_state == SyncState.FAILED:
        return ngettext(
            "Sending to %(tracker)s failed after %(count)d attempt.",
            "Sending to %(tracker)s failed after %(count)d attempts.",
            link.attempts,
        ) % {"tracker": name, "count": link.attempts}
    if link.attempts:
        return ngettext(
            "Sending to %(tracker)s: %(count)d attempt failed; Hotwash will try again.",
            "Sending to %(tracker)s: %(count)d attempts failed; Hotwash will try again.",
            link.attempts,
        ) % {"tracker": name, "count": link.attempts}
    return _("Waiting to be sent to %(tracker)s.") % {"tracker": name}


def _describe_update(link: TrackerLink, name: str) -> str:
    """A linked item: whether its latest changes have reached the issue."""
    values = {"tracker": name, "count": link.attempts}
    if link.update_state == UpdateState.FAILED:
        return (
            ngettext(
                "Linked to %(tracker)s, but sending the item's latest changes failed after "
                "%(count)d attempt.",
                "Linked to %(tracker)s, but sending the item's latest changes failed after "
                "%(count)d attempts.",
                link.attempts,
            )
            % values
        )
    if link.update_state == UpdateState.PENDING and link.attempts and link.error_kind:
        return (
            ngettext(
                "Linked to %(tracker)s. Sending the item's latest changes: %(count)d attempt "
                "failed; Hotwash will try again.",
                "Linked to %(tracker)s. Sending the item's latest changes: %(count)d attempts "
                "failed; Hotwash will try again.",
                link.attempts,
            )
            % values
        )
    if link.update_state == UpdateState.PENDING:
        return _("Linked to %(tracker)s. The item's latest changes are waiting to be sent.") % {
            "tracker": name
        }
    return _("Linked to %(tracker)s.") % {"tracker": name}
