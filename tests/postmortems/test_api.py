"""The postmortem API: an incident's postmortem, the collection with its
filters, sections with conflict detection, the review workflow, comments and
the Markdown export."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from hotwash.accounts.services import create_api_token
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident, TimelineKind
from hotwash.postmortems import services
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.services import CHECKLIST_KEYS

pytestmark = pytest.mark.django_db


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    call = getattr(client, method)
    if body is None:
        return call(path)
    return call(path, data=json.dumps(body), content_type="application/json")


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user, name='t')}")


@pytest.fixture
def incident(responder: User) -> Incident:
    return incidents.declare_incident(
        actor=responder, title="Checkout fails", severity=4, services=["checkout"]
    )


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert set(body) >= {"message", "field", "errors"}
    if field is not None:
        assert body["field"] == field
    return body


# --- an incident's postmortem ------------------------------------------------------


def test_an_incident_without_a_postmortem_answers_404_until_one_is_started(
    api: Client, incident: Incident
) -> None:
    path = f"/api/v1/incidents/{incident.ref}/postmortem"
    body = assert_error(api.get(path), 404)
    assert "POST" in body["message"]
    response = send(api, "post", path, {"language": "fr"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["incident"] == incident.ref
    assert created["status"] == "draft"
    assert created["owner"] == "amira"
    assert created["original_language"] == "fr"
    assert created["facts"]["incident"] == incident.ref
    assert [d["key"] for d in created["facts"]["durations"]][-1] == "total_impact"
    assert created["sections"][0]["key"] == "summary"
    assert created["completeness"]["en"]["total"] > 0
    assert api.get(path).json()["id"] == created["id"]
    # A second start is a conflict, in the usual error shape.
    assert_error(send(api, "post", path, {}), 409, "incident")


def test_patching_the_incidents_postmortem_changes_owner_and_due_date(
    api: Client, incident: Incident, other_responder: User
) -> None:
    path = f"/api/v1/incidents/{incident.ref}/postmortem"
    send(api, "post", path, {})
    response = send(api, "patch", path, {"owner": "sam", "due_on": "2026-12-01"})
    assert response.status_code == 200, response.content
    assert response.json()["owner"] == "sam"
    assert response.json()["due_on"] == "2026-12-01"
    kinds = list(
        incident.timeline.filter(kind=TimelineKind.POSTMORTEM).values_list("data", flat=True)
    )
    assert {"owner_changed", "due_on_changed"} <= {data["event"] for data in kinds}
    assert_error(send(api, "patch", path, {"owner": "nobody"}), 422, "owner")
    assert_error(send(api, "patch", path, {"kind": "success"}), 422, "kind")


def test_a_private_incidents_postmortem_is_404_for_outsiders(responder: User, viewer: User) -> None:
    secret = incidents.declare_incident(actor=responder, title="Secret", private=True)
    postmortem = services.create_retrospective(
        actor=responder, title="", kind="incident", incident=secret
    )
    outsider = token_client(viewer)
    assert_error(outsider.get(f"/api/v1/postmortems/{postmortem.ref}"), 404)
    assert_error(outsider.get(f"/api/v1/incidents/{secret.ref}/postmortem"), 404)
    assert outsider.get("/api/v1/postmortems").json()["count"] == 0
    assert_error(outsider.get(f"/api/v1/postmortems/{postmortem.ref}/export"), 404)


# --- the collection -------------------------------------------------------------


def test_creating_a_retrospective(api: Client, viewer: User) -> None:
    response = send(
        api,
        "post",
        "/api/v1/postmortems",
        {
            "title": "Zero-downtime upgrade",
            "kind": "success",
            "tags": ["db"],
            "services": ["db"],
            "period_start": "2026-10-01",
            "period_end": "2026-10-31",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["template"], body["incident"]) == ("success", "success", None)
    assert body["facts"] is None
    assert body["services"] == ["db"]
    patched = send(api, "patch", f"/api/v1/postmortems/{body['id']}", {"tags": ["db", "ops"]})
    assert patched.json()["tags"] == ["db", "ops"]
    assert api.get(f"/api/v1/postmortems/{body['number']}").json()["tags"] == ["db", "ops"]
    assert_error(send(api, "post", "/api/v1/postmortems", {"title": "x", "kind": "x"}), 422, "kind")
    assert_error(send(api, "post", "/api/v1/postmortems", {"kind": "incident"}), 422, "incident")
    assert_error(
        send(api, "post", "/api/v1/postmortems", {"kind": "incident", "incident": "INC-999"}),
        422,
        "incident",
    )
    assert_error(send(token_client(viewer), "post", "/api/v1/postmortems", {"title": "x"}), 403)


def test_an_incidents_postmortem_can_be_created_from_the_collection(
    api: Client, incident: Incident
) -> None:
    response = send(
        api, "post", "/api/v1/postmortems", {"kind": "incident", "incident": incident.ref}
    )
    assert response.status_code == 201, response.content
    assert response.json()["incident"] == incident.ref


def test_the_list_filters(api: Client, responder: User, other_responder: User) -> None:
    resolved = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    incident = incidents.declare_incident(actor=responder, title="Disk full", severity=1)
    with time_machine.travel(resolved, tick=False):
        incidents.set_status(incident, actor=responder, status="resolved")
    late = Postmortem.objects.get(incident=incident)
    success = services.create_retrospective(
        actor=responder, title="Great launch", kind="success", tags=["Launch"]
    )
    project = services.create_retrospective(
        actor=responder, title="Partner API", kind="project", owner="sam"
    )

    def ids(query: str) -> list[str]:
        response = api.get(f"/api/v1/postmortems?{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids("") == [project.ref, success.ref, late.ref]
    assert ids("kind=success,project") == [project.ref, success.ref]
    assert ids("owner=sam") == [project.ref]
    assert ids("owner=me") == [success.ref, late.ref]
    assert ids(f"incident={incident.ref}") == [late.ref]
    assert ids("overdue=true") == [late.ref]
    assert ids("overdue=false") == [project.ref, success.ref]
    assert ids("tag=launch") == [success.ref]
    assert ids("q=partner") == [project.ref]
    assert ids("status=draft") == [project.ref, success.ref, late.ref]
    assert ids("status=published") == []
    page = api.get("/api/v1/postmortems?per_page=2").json()
    assert (page["count"], len(page["items"])) == (3, 2)
    assert page["next"].endswith("page=2")
    assert api.get("/api/v1/postmortems?per_page=2&page=2").json()["items"][0]["id"] == late.ref
    assert_error(api.get("/api/v1/postmortems?status=lost"), 422, "status")
    assert_error(api.get("/api/v1/postmortems?incident=nope"), 422, "incident")
    item = api.get("/api/v1/postmortems?overdue=true").json()["items"][0]
    assert item["overdue"] and item["required"]
    assert item["due_on"] == (date(2026, 11, 5)).isoformat()


# --- sections -------------------------------------------------------------------------


def test_saving_a_section_and_the_409_with_both_versions(
    api: Client, responder: User, other_responder: User
) -> None:
    postmortem = services.create_retrospective(actor=responder, title="Launch", kind="success")
    path = f"/api/v1/postmortems/{postmortem.ref}/sections/summary/en"
    first = send(api, "put", path, {"body": "Mine.", "base_version": 0})
    assert first.status_code == 200, first.content
    assert (first.json()["version"], first.json()["updated_by"]) == (1, "amira")
    sam = token_client(other_responder)
    assert send(sam, "put", path, {"body": "Sam's.", "base_version": 1}).json()["version"] == 2
    conflict = send(api, "put", path, {"body": "Mine, edited.", "base_version": 1})
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["field"] == "body"
    assert body["errors"] == [{"field": "body", "message": body["message"]}]
    assert "sam" in body["message"]
    assert body["current"]["body"] == "Sam's."
    assert body["current"]["version"] == 2
    assert body["current"]["updated_by"] == "sam"
    assert body["yours"] == {"body": "Mine, edited.", "base_version": 1}
    detail = api.get(f"/api/v1/postmortems/{postmortem.ref}").json()
    summary = detail["sections"][0]
    assert summary["languages"]["en"]["body"] == "Sam's."
    assert summary["languages"]["fr"] is None
    assert detail["completeness"]["en"]["written"] == 1
    assert_error(
        send(api, "put", path.replace("summary", "nope"), {"body": "x", "base_version": 0}),
        422,
        "section",
    )
    assert_error(
        send(api, "put", path.replace("/en", "/de"), {"body": "x", "base_version": 0}),
        422,
        "language",
    )


# --- review -------------------------------------------------------------------------


def test_the_review_workflow(api: Client, responder: User, admin_user: User) -> None:
    incident = incidents.declare_incident(actor=responder, title="Outage", severity=4)
    postmortem = services.create_retrospective(
        actor=responder, title="", kind="incident", incident=incident
    )
    base = f"/api/v1/postmortems/{postmortem.ref}"
    assert_error(send(api, "post", f"{base}/transitions", {"action": "request_review"}), 422)
    response = send(api, "put", f"{base}/reviewers", {"reviewers": ["ada"]})
    assert [r["user"] for r in response.json()["reviewers"]] == ["ada"]
    response = send(api, "post", f"{base}/transitions", {"action": "request_review"})
    assert response.json()["status"] == "in_review"
    admin = token_client(admin_user)
    blocked = send(admin, "post", f"{base}/transitions", {"action": "approve"})
    assert_error(blocked, 409, "status")
    for key in CHECKLIST_KEYS:
        response = send(api, "put", f"{base}/checklist/{key}", {"checked": True})
        assert response.status_code == 200, response.content
    assert all(item["checked"] for item in response.json()["checklist"])
    assert response.json()["approval_problems"] == []
    review = send(admin, "post", f"{base}/review", {"decision": "approved"})
    assert review.json()["reviewers"][0]["decision"] == "approved"
    assert (
        send(admin, "post", f"{base}/transitions", {"action": "approve"}).json()["status"]
        == "approved"
    )
    published = send(api, "post", f"{base}/transitions", {"action": "publish"})
    assert published.json()["status"] == "published"
    assert published.json()["published_at"]
    assert_error(send(api, "post", f"{base}/transitions", {"action": "fly"}), 422, "action")
    events = {e.get("event") for e in incident.timeline.values_list("data", flat=True) if e}
    assert {"in_review", "approved", "published"} <= events


def test_comments(api: Client, responder: User) -> None:
    postmortem = services.create_retrospective(actor=responder, title="Launch", kind="success")
    base = f"/api/v1/postmortems/{postmortem.ref}/comments"
    created = send(api, "post", base, {"body": "Add numbers.", "section": "summary"})
    assert created.status_code == 201, created.content
    comment = created.json()
    assert (comment["section"], comment["author"]) == ("summary", "amira")
    assert_error(send(api, "post", base, {"body": " "}), 422, "body")
    resolved = api.post(f"{base}/{comment['id']}/resolve")
    assert resolved.json()["resolved_at"]
    assert [c["id"] for c in api.get(base).json()] == [comment["id"]]
    assert_error(api.post(f"{base}/999/resolve"), 404)


def test_lint_lists_findings_by_section(api: Client, responder: User) -> None:
    postmortem = services.create_retrospective(actor=responder, title="Launch", kind="success")
    services.save_section(
        postmortem,
        actor=responder,
        key="summary",
        language="en",
        body="It was human error.",
        base_version=0,
    )
    findings = api.get(f"/api/v1/postmortems/{postmortem.ref}/lint").json()
    assert findings and findings[0]["section"] == "summary"
    assert findings[0]["finding"]["excerpt"].lower() == "human error"


# --- export -----------------------------------------------------------------------------


def test_export_one_as_markdown(api: Client, responder: User) -> None:
    postmortem = services.create_retrospective(
        actor=responder, title="Launch réussi", kind="success"
    )
    services.save_section(
        postmortem, actor=responder, key="summary", language="fr", body="Bien.", base_version=0
    )
    response = api.get(f"/api/v1/postmortems/{postmortem.ref}/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert f'filename="{postmortem.ref}-launch-reussi.md"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith("---\ntitle: Launch réussi\n")
    french = api.get(f"/api/v1/postmortems/{postmortem.ref}/export?language=fr")
    assert "\n## Résumé\n\nBien.\n" in french.content.decode()
    assert_error(api.get(f"/api/v1/postmortems/{postmortem.ref}/export?language=de"), 422)
    assert_error(api.get("/api/v1/postmortems/PM-999/export"), 404)


def test_export_all_as_a_zip_of_what_the_caller_can_read(
    responder: User, viewer: User, api: Client
) -> None:
    secret = incidents.declare_incident(actor=responder, title="Secret", private=True)
    hidden = services.create_retrospective(
        actor=responder, title="", kind="incident", incident=secret
    )
    shown = services.create_retrospective(actor=responder, title="Launch", kind="success")
    response = token_client(viewer).get("/api/v1/postmortems/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == [f"{shown.ref}-launch.md"]
    everything = zipfile.ZipFile(io.BytesIO(api.get("/api/v1/postmortems/export").content))
    assert f"{hidden.ref}-secret.md" in everything.namelist()
    # The same postmortems give the same bytes.
    assert (
        api.get("/api/v1/postmortems/export").content
        == api.get("/api/v1/postmortems/export").content
    )


def test_an_imported_postmortem_of_an_unknown_incident_shows_its_imported_facts(
    api: Client,
) -> None:
    from hotwash.postmortems.importing import import_file

    text = (
        "---\ntitle: Elsewhere\nincident: INC-77\nseverity: SEV1\n"
        "incident_times:\n  detected: 2026-01-02 03:04:05+00:00\n---\n\n# Elsewhere\n\n"
        "<!-- hotwash:facts header -->\n- Time to detect: 5 min\n<!-- /hotwash:facts -->\n\n"
        "## Summary\n\nText.\n"
    )
    result = import_file("x.md", text.encode())
    assert result.error is None, result.error
    assert result.postmortem is not None
    body = api.get(f"/api/v1/postmortems/{result.postmortem.ref}").json()
    assert body["incident"] is None
    assert body["external_incident"] == "INC-77"
    assert body["facts"]["severity"] == 1
    assert body["facts"]["imported"]["en"]["header"] == "- Time to detect: 5 min"
    assert body["facts"]["times"]["detected"].startswith("2026-01-02T03:04:05")


def test_a_page_of_postmortems_costs_a_fixed_number_of_queries(
    api: Client, responder: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for number in range(30):
        incident = incidents.declare_incident(
            actor=responder, title=f"Incident {number}", services=["a", "b"]
        )
        postmortem = services.create_retrospective(
            actor=responder, title="", kind="incident", incident=incident
        )
        services.save_section(
            postmortem, actor=responder, key="summary", language="en", body="x", base_version=0
        )
        services.create_retrospective(actor=responder, title=f"Retro {number}", services=["c"])
    with django_assert_max_num_queries(15):
        page = api.get("/api/v1/postmortems?per_page=60").json()
    assert len(page["items"]) == 60
    first_incident = next(item for item in page["items"] if item["incident"])
    assert first_incident["services"] == ["a", "b"]
    assert first_incident["completeness"]["en"]["written"] == 1
