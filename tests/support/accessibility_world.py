"""What the accessibility walk (tests/browser/test_accessibility.py) looks at: the demo
data, plus what the demo does not make, so that every page has something on
it and every state is there once.

Run inside `hotwash shell` against the walk's server database (the browser
tests never touch the ORM: Playwright's event loop would forbid it);
`main()` loads the demo, adds to it and prints the names of what it made as
JSON.
The walk signs in as the demo's people: amira (a responder, commander of
most incidents and a participant in the private one), jonas (reviewer of
the postmortem in review) and victor (a viewer).
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone, translation

from hotwash.accounts.models import ApiToken
from hotwash.accounts.services import create_api_token
from hotwash.accounts.throttling import lockout_message
from hotwash.actions.models import ActionItem
from hotwash.actions.services import create_action_item
from hotwash.alerts.ingest import IncomingAlert, ingest
from hotwash.alerts.models import AlertGroup
from hotwash.alerts.services import create_source
from hotwash.chat.links import link_token
from hotwash.chat.services import link_identity
from hotwash.core.views import server_error
from hotwash.incidents import linking, services
from hotwash.incidents.models import WRITABLE_KINDS, Incident, Task, TimelineEvent
from hotwash.postmortems import services as postmortems
from hotwash.postmortems.factors import set_factors
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.services import CHECKLIST_KEYS
from hotwash.reports import services as reports
from hotwash.statuspage import subscriptions
from hotwash.statuspage.models import StatusSubscriber
from hotwash.statuspage.services import publish_update
from hotwash.triggers.models import Heartbeat, Proposal
from hotwash.triggers.proposals import accept


def build() -> dict[str, Any]:
    amira = User.objects.get(username="amira")
    victor = User.objects.get(username="victor")
    open_incident = Incident.objects.filter(status="triage").latest("pk")
    private = Incident.objects.get(private=True)
    resolved = Incident.objects.filter(status="resolved", postmortem__isnull=False).latest("pk")
    note = TimelineEvent.objects.filter(incident=open_incident, kind__in=WRITABLE_KINDS).first()
    assert note is not None, "the demo's open incident has a note to correct"
    by_status = {
        status: Postmortem.objects.filter(kind="incident", status=status).latest("pk")
        for status in ("draft", "in_review", "published")
    }
    by_status["approved"] = _approved(amira, exclude=by_status["draft"])
    # Contributing factors, so the themes page has rows, a chart and free tags.
    for postmortem, factors in (
        (by_status["in_review"], ["monitoring-gap", "capacity", "vendor quirk"]),
        (by_status["published"], ["monitoring-gap", "change-management"]),
    ):
        set_factors(postmortem, actor=amira, factors=factors)
    comment = postmortems.add_comment(by_status["in_review"], actor=amira, body="Numbers?")
    item = ActionItem.objects.filter(incident__isnull=False).latest("pk")
    viewers_item = create_action_item(
        actor=amira, title="Check the dashboards", owner=victor, incident=open_incident
    )
    create_api_token(amira, name="Deploy script")
    task = Task.objects.filter(incident=open_incident).first() or services.add_task(
        open_incident, actor=amira, title="Check the queue"
    )
    publish_update(
        open_incident,
        actor=amira,
        audience="internal" if open_incident.private else "public",
        status="investigating",
        text={"en": "We are looking into it.", "fr": "Nous examinons le problème."},
    )
    # A link, so the incident page's links panel lists one (with its button).
    linking.link_incidents(open_incident, actor=amira, to=resolved, kind="caused_by")
    return {
        "incident": open_incident.ref,
        "resolved": resolved.ref,
        "private": private.ref,
        "event": note.pk,
        **{f"postmortem_{status}": pm.pk for status, pm in by_status.items()},
        "retrospective": Postmortem.objects.filter(kind="success").latest("pk").pk,
        "comment": comment.pk,
        "section": "summary",
        "task": task.pk,
        "item": item.pk,
        "item_ref": item.ref,
        "item_owner": item.owner.username if item.owner else "",
        "viewers_item": viewers_item.pk,
        "group": _alert_group(),
        "proposal": _proposals(amira),
        "token": ApiToken.objects.filter(user=amira).latest("pk").pk,
        "service": "shop",  # the demo's catalog: owned, with runbooks, public
        "standalone": _standalone_pages(),
        **_status_subscriber(),
        **_chat_identity(amira),
        "report": _report(amira),
    }


def _report(amira: User) -> int:
    """A near miss Amira filed with her name, discussed by a reviewer (the
    admin), and an anonymous concern, so the reviewers' list has both."""
    admin = User.objects.get(username="admin")
    report = reports.file_report(
        author=amira,
        kind="near-miss",
        text="The nightly job nearly ran against the production database.",
        anonymous=False,
    )
    reports.add_comment(report, actor=admin, body="Worth a retrospective.")
    reports.file_report(
        author=User.objects.get(username="victor"),
        kind="concern",
        text="Hand-overs are rushed.",
        anonymous=True,
    )
    return report.pk


def _approved(actor: User, exclude: Postmortem) -> Postmortem:
    """A draft taken through review to approved (the demo has none)."""
    postmortem = (
        Postmortem.objects.filter(kind="incident", status="draft").exclude(pk=exclude.pk).first()
    )
    assert postmortem is not None
    postmortems.set_reviewers(postmortem, actor=actor, usernames=["sam"])
    postmortems.transition(postmortem, actor=actor, action="request_review")
    for key in CHECKLIST_KEYS:
        postmortems.set_checklist_item(postmortem, actor=actor, key=key, checked=True)
    reviewer = User.objects.get(username="sam")
    return postmortems.transition(postmortem, actor=reviewer, action="approve")


def _alert_group() -> int:
    source = create_source(name="prometheus", kind="alertmanager")[0]
    now = timezone.now()
    ingest(
        source,
        [
            IncomingAlert(
                fingerprint=f"shop-{instance}",
                status=status,
                labels={"alertname": "ShopDown", "service": "shop", "instance": instance},
                annotations={"summary": "Shop front unreachable"},
                starts_at=now - timedelta(minutes=12),
                ends_at=now if status == "resolved" else None,
                generator_url="http://prometheus.example:9090/graph?g0.expr=up",
                group_key='{}:{alertname="ShopDown"}',
                group_labels={"alertname": "ShopDown"},
            )
            for instance, status in (("shop-1", "firing"), ("shop-2", "resolved"))
        ],
        now=now,
    )
    group = AlertGroup.objects.latest("pk")
    incident = group.incident or Incident.objects.latest("pk")
    Heartbeat.objects.create(
        name="backup-job",
        status="down",
        last_ping_at=now - timedelta(hours=3),
        last_source="api",
        down_since=now - timedelta(hours=2),
        incident=incident,
        created_at=now - timedelta(days=3),
    )
    return group.pk


def _proposals(actor: User) -> int:
    """One proposal answered (the page lists those too), one left open."""
    open_ones = Proposal.objects.filter(status="open").order_by("pk")
    accept(open_ones[0], actor=actor)
    return open_ones.latest("pk").pk


def _status_subscriber() -> dict[str, str]:
    """A pending status page subscriber's confirmation and unsubscribe links."""
    subscriber = StatusSubscriber.objects.create(
        email="reader@example.org", language="en", created_at=timezone.now()
    )
    return {
        "status_confirm_token": subscriptions.confirm_token(subscriber),
        "status_unsubscribe_token": subscriptions.unsubscribe_token(subscriber),
    }


def _chat_identity(amira: User) -> dict[str, str | int]:
    """A Slack account linked to amira (the list shows it, with its unlink
    button), and the link another Slack user was given to confirm."""
    identity = link_identity("slack", "U0AMIRA", amira, linked_by="email", display_name="amira.m")
    return {
        "chat_identity": identity.pk,
        "chat_link_token": link_token("slack", "U0OTHER", "amira.other"),
    }


def _standalone_pages() -> dict[str, dict[str, str]]:
    """Pages no address shows without a fault: the server error page, and
    the lock-out page (the sign-in form shows a lock-out itself)."""
    pages: dict[str, dict[str, str]] = {"500": {}, "locked-out": {}}
    for language in ("en", "fr"):
        with translation.override(language):
            pages["500"][language] = server_error(None).content.decode()
            request = RequestFactory().get(f"/{language}/accounts/login/")
            request.user = AnonymousUser()
            request.LANGUAGE_CODE = language
            pages["locked-out"][language] = render_to_string(
                "accounts/locked_out.html", {"message": lockout_message(None)}, request=request
            )
    return pages


def main() -> None:
    call_command("demo", stdout=io.StringIO())
    print(json.dumps(build()))
