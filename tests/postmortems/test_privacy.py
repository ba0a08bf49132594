"""A private incident's postmortem stays private (issue 9, items 1, 4, 8).

The incident's privacy always wins over public sharing: a postmortem that
was shared publicly before its incident turned private is no longer shown
to anyone who cannot see the incident (pages, API, exports, comments,
public pages), and making the incident private withdraws the sharing, on
the incident's timeline. Nobody who cannot see a private incident becomes
its postmortem's owner, author or reviewer, and reminder and digest mail
never carry a private incident's work to someone who cannot see it.
Postmortem text never loads images from other sites (a beacon of its
readers' addresses).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client
from pytest_django import Settings

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_api_token, create_user
from hotwash.actions.models import ActionItem
from hotwash.actions.services import create_action_item
from hotwash.core.errors import InvalidInput, NotFound
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import Incident, TimelineEvent, TimelineKind
from hotwash.jobs.worker import HotwashWorker
from hotwash.notifications.models import DeliveryStatus, Kind, SentNotification
from hotwash.notifications.reminders import scan_digests, scan_reminders
from hotwash.postmortems import markdown, services
from hotwash.postmortems.importing import import_file
from hotwash.postmortems.models import Comment, Postmortem, Reviewer
from hotwash.postmortems.models import Kind as PostmortemKind
from hotwash.postmortems.rendering import is_internal_url, render_markdown
from hotwash.postmortems.services import CHECKLIST_KEYS
from tests.support.notifications import SmtpSink, bodies, make_item, smtp_sink, use_smtp
from tests.support.sharing import share_publicly

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Payroll export left on a partner share"
SECRET_SUMMARY = "Salaries of 312 people were readable by a partner."
SECRET_ITEM = "Encrypt payroll exports at rest"
LATE_NOTE = "The partner confirms the file was downloaded twice"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user, name='tests')}")


def _json(client: Client, method: str, path: str, body: Any) -> Any:
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def _publish(postmortem: Postmortem, actor: User) -> Postmortem:
    services.set_reviewers(postmortem, actor=actor, usernames=[actor.username])
    for key in CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=actor, key=key, checked=True)
    for action in ("request_review", "approve", "publish"):
        postmortem = services.transition(postmortem, actor=actor, action=action)
    return postmortem


def _shared_postmortem(actor: User) -> Postmortem:
    """A published postmortem, shared publicly, with an action item, of an
    incident that is not private (yet)."""
    incident = incidents.declare_incident(
        actor=actor, title=SECRET_TITLE, severity=2, summary=SECRET_SUMMARY, services=["payroll"]
    )
    incidents.assign_role(incident, actor=actor, role="commander", user=actor)
    incidents.add_timeline_event(incident, actor=actor, body="Share closed", key_moment=True)
    postmortem = services.create_retrospective(
        actor=actor, title="", kind=PostmortemKind.INCIDENT, incident=incident
    )
    create_action_item(actor=actor, title=SECRET_ITEM, owner=actor, postmortem=postmortem)
    postmortem = _publish(postmortem, actor)
    share_publicly(postmortem, actor, translate=True)
    return Postmortem.objects.select_related("incident").get(pk=postmortem.pk)


def _make_private(incident: Incident, actor: User) -> None:
    incidents.update_incident(incident, actor=actor, changes={"private": True})


@pytest.fixture(params=["made_private", "flag_left_from_before"])
def gone_private(request: pytest.FixtureRequest, responder: User) -> Postmortem:
    """A shared postmortem whose incident then turned private, with a
    timeline entry written after that. `flag_left_from_before`: the public
    flag is still set, as it stayed on rows made private before sharing was
    withdrawn; the incident's privacy must win over it too."""
    postmortem = _shared_postmortem(responder)
    assert postmortem.incident is not None
    _make_private(postmortem.incident, responder)
    incidents.add_timeline_event(postmortem.incident, actor=responder, body=LATE_NOTE)
    if request.param == "flag_left_from_before":
        Postmortem.objects.filter(pk=postmortem.pk).update(public=True)
    return Postmortem.objects.select_related("incident").get(pk=postmortem.pk)


def _leaks(text: str) -> list[str]:
    return [s for s in (SECRET_TITLE, SECRET_SUMMARY, SECRET_ITEM, LATE_NOTE) if s in text]


# --- item 1: nobody outside the incident reads it any more ------------------------


def test_the_full_timeline_page_is_not_found_for_a_viewer(
    gone_private: Postmortem, viewer: User, responder: User
) -> None:
    response = _client(viewer).get(f"/en/postmortems/{gone_private.pk}/?timeline=full")
    assert response.status_code == 404
    assert _leaks(response.content.decode()) == []
    # The incident's participants still read all of it.
    page = _client(responder).get(f"/en/postmortems/{gone_private.pk}/?timeline=full")
    assert page.status_code == 200
    assert LATE_NOTE in page.content.decode()


def test_the_markdown_and_zip_exports_are_not_for_a_viewer(
    gone_private: Postmortem, viewer: User, responder: User
) -> None:
    outsider = _token_client(viewer)
    one = outsider.get(f"/api/v1/postmortems/{gone_private.ref}/export")
    assert one.status_code == 404
    assert _leaks(one.content.decode()) == []
    everything = outsider.get("/api/v1/postmortems/export")
    assert everything.status_code == 200
    with zipfile.ZipFile(io.BytesIO(everything.content)) as archive:
        assert archive.namelist() == []
    insider = _token_client(responder).get(f"/api/v1/postmortems/{gone_private.ref}/export")
    assert SECRET_ITEM in insider.content.decode()


def test_a_viewer_cannot_comment(gone_private: Postmortem, viewer: User) -> None:
    web = _client(viewer).post(
        f"/en/postmortems/{gone_private.pk}/comments/", {"body": "Interesting", "section": ""}
    )
    assert web.status_code == 404
    api = _json(
        _token_client(viewer),
        "post",
        f"/api/v1/postmortems/{gone_private.ref}/comments",
        {"body": "Interesting"},
    )
    assert api.status_code == 404
    with pytest.raises(NotFound):
        services.add_comment(gone_private, actor=viewer, body="Interesting")
    assert not Comment.objects.exists()


def test_anonymous_visitors_see_nothing_on_the_public_pages(gone_private: Postmortem) -> None:
    visitor = Client()
    for language in ("en", "fr"):
        index = visitor.get(f"/{language}/postmortems/public/")
        assert index.status_code == 200
        assert _leaks(index.content.decode()) == []
        assert f"/postmortems/public/{gone_private.pk}/" not in index.content.decode()
        page = visitor.get(f"/{language}/postmortems/public/{gone_private.pk}/")
        assert page.status_code == 404
        assert _leaks(page.content.decode()) == []
    assert not services.can_read(AnonymousUser(), gone_private)


def test_the_api_hides_it_from_a_viewer(gone_private: Postmortem, viewer: User) -> None:
    outsider = _token_client(viewer)
    assert outsider.get(f"/api/v1/postmortems/{gone_private.ref}").status_code == 404
    assert outsider.get(f"/api/v1/postmortems/{gone_private.ref}/comments").status_code == 404
    for query in ("", "?status=published", f"?incident={gone_private.incident_id}"):
        listing = outsider.get(f"/api/v1/postmortems{query}")
        assert listing.status_code == 200
        assert listing.json()["count"] == 0, query
        assert _leaks(listing.content.decode()) == []
    web_list = _client(viewer).get("/en/postmortems/?status=published")
    assert _leaks(web_list.content.decode()) == []


def test_its_people_and_admins_still_read_it(
    gone_private: Postmortem, responder: User, admin_user: User
) -> None:
    for person in (responder, admin_user):
        assert services.can_read(person, gone_private)
        api = _token_client(person).get(f"/api/v1/postmortems/{gone_private.ref}")
        assert api.status_code == 200


# --- making the incident private withdraws public sharing ----------------------------


def _withdrawals(postmortem: Postmortem) -> list[TimelineEvent]:
    assert postmortem.incident_id is not None
    return list(
        TimelineEvent.objects.filter(
            incident_id=postmortem.incident_id,
            kind=TimelineKind.POSTMORTEM,
            data__event="public_withdrawn",
        )
    )


def test_making_the_incident_private_withdraws_sharing_on_the_timeline(responder: User) -> None:
    postmortem = _shared_postmortem(responder)
    assert postmortem.incident is not None
    _make_private(postmortem.incident, responder)

    postmortem.refresh_from_db()
    assert not postmortem.public
    [entry] = _withdrawals(postmortem)
    assert entry.author == responder
    assert postmortem.incident_id is not None
    private_change = TimelineEvent.objects.get(
        incident_id=postmortem.incident_id, data__field="private"
    )
    # Written by the same change, at the same instant.
    assert entry.recorded_at == private_change.recorded_at
    assert "no longer shared publicly" in describe_event(entry)
    audit = AuditRecord.objects.get(action="postmortem.unshared", object_id=str(postmortem.pk))
    assert audit.actor == responder
    assert audit.changes["public"] == {"from": True, "to": False}
    assert Client().get(f"/en/postmortems/public/{postmortem.pk}/").status_code == 404


def test_the_api_path_withdraws_sharing_too(responder: User) -> None:
    postmortem = _shared_postmortem(responder)
    response = _json(
        _token_client(responder),
        "patch",
        f"/api/v1/incidents/{postmortem.incident.ref}",  # type: ignore[union-attr]
        {"private": True},
    )
    assert response.status_code == 200, response.content
    postmortem.refresh_from_db()
    assert not postmortem.public
    assert len(_withdrawals(postmortem)) == 1


def test_hotwash_making_it_private_withdraws_sharing_too(responder: User) -> None:
    """Trigger policies and other automation change incidents with no person
    as the actor; the withdrawal does not depend on who made the change."""
    postmortem = _shared_postmortem(responder)
    assert postmortem.incident is not None
    incidents.update_incident(postmortem.incident, actor=None, changes={"private": True})
    postmortem.refresh_from_db()
    assert not postmortem.public
    [entry] = _withdrawals(postmortem)
    assert entry.author is None
    assert describe_event(entry).startswith("Hotwash")
    assert AuditRecord.objects.filter(action="postmortem.unshared", actor=None).count() == 1


def test_a_postmortem_that_was_not_shared_gets_no_withdrawal_entry(responder: User) -> None:
    incident = incidents.declare_incident(actor=responder, title="Slow search", severity=3)
    postmortem = services.create_retrospective(
        actor=responder, title="", kind=PostmortemKind.INCIDENT, incident=incident
    )
    _make_private(incident, responder)
    assert _withdrawals(postmortem) == []
    assert not AuditRecord.objects.filter(action="postmortem.unshared").exists()


def test_it_cannot_be_made_public_again_while_the_incident_is_private(responder: User) -> None:
    postmortem = _shared_postmortem(responder)
    assert postmortem.incident is not None
    _make_private(postmortem.incident, responder)
    before = AuditRecord.objects.filter(action__startswith="postmortem.").count()
    with pytest.raises(InvalidInput) as refused:
        services.update_postmortem(postmortem, actor=responder, changes={"public": True})
    assert refused.value.field == "public"
    response = _json(
        _token_client(responder),
        "patch",
        f"/api/v1/postmortems/{postmortem.ref}",
        {"public": True},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "public"
    assert "private" in response.json()["message"]
    postmortem.refresh_from_db()
    assert not postmortem.public
    assert AuditRecord.objects.filter(action__startswith="postmortem.").count() == before


def test_a_copy_read_before_the_incident_turned_private_cannot_share_it(responder: User) -> None:
    """The check reads the incident as it is when the change is written, not
    as the caller last saw it."""
    postmortem = _shared_postmortem(responder)
    services.update_postmortem(postmortem, actor=responder, changes={"public": False})
    stale = Postmortem.objects.select_related("incident").get(pk=postmortem.pk)
    assert postmortem.incident_id is not None
    _make_private(Incident.objects.get(pk=postmortem.incident_id), responder)
    with pytest.raises(InvalidInput):
        services.update_postmortem(stale, actor=responder, changes={"public": True})
    postmortem.refresh_from_db()
    assert not postmortem.public


# --- the Markdown export lists only items the reader can see -------------------------


def test_the_markdown_export_lists_items_only_for_those_who_can_see_them(
    responder: User, viewer: User
) -> None:
    postmortem = _shared_postmortem(responder)
    assert postmortem.incident is not None
    _make_private(postmortem.incident, responder)
    assert SECRET_ITEM in markdown.export_file(postmortem, reader=responder).text
    assert SECRET_ITEM not in markdown.export_file(postmortem, reader=viewer).text
    # Hotwash itself (the export command run by the operator) sees all.
    assert SECRET_ITEM in markdown.export_file(postmortem).text


# --- item 4: owners, authors and reviewers must see the incident ---------------------


@pytest.fixture
def private_postmortem(responder: User) -> Postmortem:
    incident = incidents.declare_incident(
        actor=responder, title=SECRET_TITLE, severity=2, private=True
    )
    return services.create_retrospective(
        actor=responder, title="", kind=PostmortemKind.INCIDENT, incident=incident
    )


def _unchanged(postmortem: Postmortem, owner: User) -> None:
    postmortem.refresh_from_db()
    assert postmortem.owner == owner
    assert not postmortem.authors.exists()
    assert not Reviewer.objects.filter(postmortem=postmortem).exists()
    assert not AuditRecord.objects.filter(
        action__in=["postmortem.updated", "postmortem.reviewers_set"]
    ).exists()


@pytest.mark.parametrize(
    ("field", "change"),
    [("owner", {"owner": "sam"}), ("authors", {"authors": ["amira", "sam"]})],
)
def test_the_service_refuses_an_owner_or_author_who_cannot_see_the_incident(
    private_postmortem: Postmortem,
    responder: User,
    other_responder: User,
    field: str,
    change: dict[str, Any],
) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.update_postmortem(private_postmortem, actor=responder, changes=change)
    assert refused.value.field == field
    assert "sam" in refused.value.message
    assert private_postmortem.incident.ref in refused.value.message  # type: ignore[union-attr]
    _unchanged(private_postmortem, responder)


def test_the_service_refuses_a_reviewer_who_cannot_see_the_incident(
    private_postmortem: Postmortem, responder: User, other_responder: User
) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.set_reviewers(private_postmortem, actor=responder, usernames=["amira", "sam"])
    assert refused.value.field == "reviewers"
    assert "sam" in refused.value.message
    _unchanged(private_postmortem, responder)


def test_participants_and_admins_can_be_given_the_postmortem(
    private_postmortem: Postmortem, responder: User, other_responder: User, admin_user: User
) -> None:
    incident = private_postmortem.incident
    assert incident is not None
    incidents.add_participant(incident, actor=responder, user=other_responder)
    services.update_postmortem(
        private_postmortem, actor=responder, changes={"owner": "sam", "authors": ["ada"]}
    )
    services.set_reviewers(private_postmortem, actor=responder, usernames=["sam", "ada"])
    private_postmortem.refresh_from_db()
    assert private_postmortem.owner == other_responder
    assert list(private_postmortem.authors.all()) == [admin_user]


def test_someone_given_it_before_it_turned_private_does_not_block_other_changes(
    responder: User, other_responder: User
) -> None:
    incident = incidents.declare_incident(actor=responder, title="Slow search", severity=3)
    postmortem = services.create_retrospective(
        actor=responder, title="", kind=PostmortemKind.INCIDENT, incident=incident
    )
    services.update_postmortem(postmortem, actor=responder, changes={"owner": "sam"})
    _make_private(incident, responder)
    services.update_postmortem(
        postmortem, actor=responder, changes={"owner": "sam", "title": "Search was slow"}
    )
    postmortem.refresh_from_db()
    assert postmortem.title == "Search was slow"


def test_the_header_form_shows_the_refusal(
    private_postmortem: Postmortem, responder: User, other_responder: User
) -> None:
    client = _client(responder)
    for field, value in (("owner", "sam"), ("authors", "sam")):
        form = {"title": private_postmortem.title, "original_language": "en", "owner": "amira"}
        response = client.post(
            f"/en/postmortems/{private_postmortem.pk}/details/", {**form, field: value}
        )
        assert response.status_code == 422, field
        html = response.content.decode()
        assert "sam cannot see private incident" in html
        assert 'class="error-summary"' in html
    _unchanged(private_postmortem, responder)


def test_the_reviewers_form_shows_the_refusal(
    private_postmortem: Postmortem, responder: User, other_responder: User
) -> None:
    response = _client(responder).post(
        f"/en/postmortems/{private_postmortem.pk}/reviewers/", {"add": "sam"}
    )
    assert response.status_code == 422
    assert "sam cannot see private incident" in response.content.decode()
    _unchanged(private_postmortem, responder)


def test_the_api_refuses_them(
    private_postmortem: Postmortem, responder: User, other_responder: User
) -> None:
    api = _token_client(responder)
    path = f"/api/v1/postmortems/{private_postmortem.ref}"
    incident_path = f"/api/v1/incidents/{private_postmortem.incident.ref}/postmortem"  # type: ignore[union-attr]
    for method, url, body, field in (
        ("patch", path, {"owner": "sam"}, "owner"),
        ("patch", incident_path, {"owner": "sam"}, "owner"),
        ("patch", path, {"authors": ["sam"]}, "authors"),
        ("put", f"{path}/reviewers", {"reviewers": ["sam"]}, "reviewers"),
    ):
        response = _json(api, method, url, body)
        assert response.status_code == 422, (url, body)
        assert response.json()["field"] == field
        assert "sam cannot see private incident" in response.json()["message"]
    private_postmortem.refresh_from_db()
    assert private_postmortem.owner == responder
    assert not private_postmortem.authors.exists()
    assert not Reviewer.objects.exists()


def test_the_markdown_import_refuses_them(
    private_postmortem: Postmortem, responder: User, other_responder: User
) -> None:
    exported = markdown.export_file(private_postmortem)
    for before, line in (("owner: amira", "owner: sam"), ("authors: []", "authors: [sam]")):
        assert before in exported.text
        text = exported.text.replace(before, line, 1)
        result = import_file(exported.name, text.encode())
        assert result.error is not None, line
        assert "sam cannot see private incident" in result.error.message
        assert result.error.line == text.splitlines().index(line) + 1
    _unchanged(private_postmortem, responder)
    assert not AuditRecord.objects.filter(action="postmortem.imported").exists()


# --- item 4: mail never carries a private incident to someone who cannot see it -------

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday
TODAY = NOW.date()


@pytest.fixture
def smtp(settings: Settings) -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        use_smtp(settings, sink.port)
        settings.DEFAULT_FROM_EMAIL = "Hotwash <hotwash@example.org>"
        settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 4, 7  # Thursday, 07:00
        yield sink


def _drain() -> int:
    worker = HotwashWorker(worker_id="tests", queue_names=["default"], interval=0, periodic=False)
    return worker.drain()


@pytest.fixture
def work_gone_private(db: None) -> dict[str, Any]:
    """Lina owns an action item and the postmortem of an incident that later
    turned private without her; she also owns work she can still see."""
    with time_machine.travel(NOW, tick=True):
        amira = create_user("amira", email="amira@example.org", role=Role.RESPONDER)
        lina = create_user("lina", email="lina@example.org", role=Role.RESPONDER)
        incident = incidents.declare_incident(actor=amira, title=SECRET_TITLE, severity=2)
        item = create_action_item(actor=amira, title=SECRET_ITEM, owner=lina, incident=incident)
        postmortem = services.create_retrospective(
            actor=amira, title="", kind=PostmortemKind.INCIDENT, incident=incident
        )
        services.update_postmortem(
            postmortem, actor=amira, changes={"owner": "lina", "due_on": TODAY}
        )
        _make_private(incident, amira)
        visible = make_item(lina, due_on=TODAY + timedelta(days=1), title="Add a canary stage")
        ActionItem.objects.filter(pk=item.pk).update(due_on=TODAY + timedelta(days=1))
    return {"lina": lina, "item": item, "postmortem": postmortem, "visible": visible}


def test_reminders_skip_work_on_an_incident_the_owner_cannot_see(
    smtp: SmtpSink, work_gone_private: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=True):
        scan_reminders(NOW)
        _drain()
    sent = [message for message in smtp.messages if message["To"] == "lina@example.org"]
    assert len(sent) == 1  # the reminder for the item she can still see
    for message in sent:
        text, html = bodies(message)
        assert _leaks(str(message["Subject"]) + text + html) == []
    statuses = {
        (row.kind, row.object_id): row.status
        for row in SentNotification.objects.filter(recipient=work_gone_private["lina"])
    }
    assert statuses[(Kind.ACTION_DUE_SOON, work_gone_private["item"].pk)] == (
        DeliveryStatus.SKIPPED
    )
    assert statuses[(Kind.POSTMORTEM_DUE_SOON, work_gone_private["postmortem"].pk)] == (
        DeliveryStatus.SKIPPED
    )
    assert statuses[(Kind.ACTION_DUE_SOON, work_gone_private["visible"].pk)] == (
        DeliveryStatus.SENT
    )
    # The ledger says why, truthfully: not "no longer due".
    notes = {
        (row.kind, row.object_id): row.last_error
        for row in SentNotification.objects.filter(recipient=work_gone_private["lina"])
    }
    for key in (
        (Kind.ACTION_DUE_SOON, work_gone_private["item"].pk),
        (Kind.POSTMORTEM_DUE_SOON, work_gone_private["postmortem"].pk),
    ):
        assert notes[key] == "Skipped: the recipient can no longer see this incident.", key


def test_the_digest_leaves_out_work_on_an_incident_the_reader_cannot_see(
    smtp: SmtpSink, work_gone_private: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=True):
        scan_digests(NOW)
        _drain()
    [digest] = [m for m in smtp.messages if m["To"] == "lina@example.org"]
    text, html = bodies(digest)
    assert _leaks(str(digest["Subject"]) + text + html) == []
    assert work_gone_private["postmortem"].ref not in text + html
    assert work_gone_private["item"].ref not in text + html
    assert f"{work_gone_private['visible'].ref} Add a canary stage" in text
    assert digest["Subject"] == "Your Hotwash week of 23 November: 1 open, 0 overdue"


# --- item 8: no images from other sites in postmortem text ----------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://tracker.example/pixel.png",
        "http://tracker.example/pixel.png",
        "//tracker.example/pixel.png",
        "HTTPS://tracker.example/pixel.png",
    ],
)
def test_an_external_image_becomes_a_plain_link(url: str) -> None:
    html = str(render_markdown(f"Before ![the error rate]({url}) after"))
    assert "<img" not in html
    assert "tracker.example" in html
    assert "<a " in html and "the error rate" in html


@pytest.mark.parametrize(
    "url", ["/static/graph.png", "graph.png", "/media/a%20b.png", "/\\tracker.example/pixel.png"]
)
def test_an_image_of_this_site_stays_an_image(url: str) -> None:
    # A backslash is percent-encoded by the parser: "/%5Ctracker..." is a path here.
    html = str(render_markdown(f"![the error rate]({url})"))
    assert "<img" in html and 'alt="the error rate"' in html


def test_an_absolute_link_to_this_site_stays_an_image() -> None:
    html = str(render_markdown(f"![graph]({settings.SITE_URL}/static/graph.png)"))
    assert "<img" in html


@pytest.mark.parametrize(
    ("url", "internal"),
    [
        ("/\\tracker.example/p.png", False),
        ("/\t/tracker.example/p.png", False),
        (" //tracker.example/p.png", False),
        ("data:image/png;base64,AAAA", False),
        ("/static/p.png", True),
        ("p.png", True),
    ],
)
def test_addresses_are_read_as_a_browser_reads_them(url: str, internal: bool) -> None:
    assert is_internal_url(url) is internal


def test_the_public_page_loads_no_external_image(responder: User) -> None:
    postmortem = _shared_postmortem(responder)
    postmortem = services.transition(postmortem, actor=responder, action="reopen")
    services.save_section(
        postmortem,
        actor=responder,
        key="summary",
        language="en",
        body="See ![error rate](https://tracker.example/pixel.png).",
        base_version=1,
    )
    _publish(postmortem, responder)
    share_publicly(postmortem, responder, translate=True)
    html = Client().get(f"/en/postmortems/public/{postmortem.pk}/").content.decode()
    assert "See" in html and "error rate" in html
    assert 'src="https://tracker.example' not in html
    assert 'href="https://tracker.example/pixel.png"' in html


# --- what the API, the export and the pages say about sharing -------------------------
# `public` there is the sharing as it takes effect (queries.is_marked_public):
# never true for a private incident's postmortem, whatever the stored flag.


def test_the_api_and_the_export_say_it_is_not_shared(
    gone_private: Postmortem, responder: User
) -> None:
    api = _token_client(responder)
    one = api.get(f"/api/v1/postmortems/{gone_private.ref}")
    assert one.status_code == 200
    assert one.json()["public"] is False
    for_incident = api.get(f"/api/v1/incidents/{gone_private.incident.ref}/postmortem")  # type: ignore[union-attr]
    assert for_incident.json()["public"] is False
    [listed] = api.get("/api/v1/postmortems").json()["items"]
    assert listed["public"] is False
    exported = api.get(f"/api/v1/postmortems/{gone_private.ref}/export").content.decode()
    assert "\npublic: false\n" in exported
    # What was exported imports again as it is (a private incident's
    # postmortem that says `public: true` is refused).
    result = import_file("again.md", exported.encode())
    assert result.error is None, result.error
    assert Postmortem.objects.count() == 1


def test_the_postmortem_page_does_not_offer_the_public_page(
    gone_private: Postmortem, responder: User
) -> None:
    html = _client(responder).get(f"/en/postmortems/{gone_private.pk}/").content.decode()
    assert f"/postmortems/public/{gone_private.pk}/" not in html
    assert "Public page" not in html


def test_sharing_is_reported_while_the_incident_is_not_private(responder: User) -> None:
    shared = _shared_postmortem(responder)
    api = _token_client(responder)
    assert api.get(f"/api/v1/postmortems/{shared.ref}").json()["public"] is True
    assert "\npublic: true\n" in markdown.export_file(shared).text
    page = _client(responder).get(f"/en/postmortems/{shared.pk}/").content.decode()
    assert f"/postmortems/public/{shared.pk}/" in page
    # Shared, then reopened as a draft: shared again once published.
    draft = services.transition(_shared_postmortem(responder), actor=responder, action="reopen")
    assert api.get(f"/api/v1/postmortems/{draft.ref}").json()["public"] is True
    draft_page = _client(responder).get(f"/en/postmortems/{draft.pk}/").content.decode()
    assert "Public once published" in draft_page


# --- the header form of a private incident's postmortem -------------------------------

CANNOT_SHARE = "This incident is private, so its postmortem cannot be shared publicly."


def test_the_header_form_explains_instead_of_offering_sharing(
    private_postmortem: Postmortem, responder: User
) -> None:
    html = _client(responder).get(f"/en/postmortems/{private_postmortem.pk}/details/")
    assert html.status_code == 200
    page = html.content.decode()
    assert 'name="public"' not in page
    assert "Share publicly once published" not in page
    assert CANNOT_SHARE in page


def test_the_header_form_of_a_postmortem_gone_private_saves_without_sharing(
    gone_private: Postmortem, responder: User
) -> None:
    client = _client(responder)
    page = client.get(f"/en/postmortems/{gone_private.pk}/details/").content.decode()
    assert 'name="public"' not in page
    assert CANNOT_SHARE in page
    sharing_changes = AuditRecord.objects.filter(
        action="postmortem.updated", changes__has_key="public"
    )
    before = sharing_changes.count()
    form = {"title": "Payroll export shared by mistake", "original_language": "en"}
    form["owner"] = "amira"
    response = client.post(f"/en/postmortems/{gone_private.pk}/details/", form)
    assert response.status_code == 302
    gone_private.refresh_from_db()
    assert gone_private.title == "Payroll export shared by mistake"
    # No sharing change was sent, so none was written.
    assert sharing_changes.count() == before


def test_a_crafted_share_request_is_still_refused(
    private_postmortem: Postmortem, responder: User
) -> None:
    before = private_postmortem.title
    form = {"title": "Renamed", "original_language": "en", "owner": "amira", "public": "on"}
    response = _client(responder).post(f"/en/postmortems/{private_postmortem.pk}/details/", form)
    assert response.status_code == 422
    assert "cannot be made public" in response.content.decode()
    private_postmortem.refresh_from_db()
    assert (private_postmortem.public, private_postmortem.title) == (False, before)
