"""The service catalog's write side: validation, permissions, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from hotwash.core.errors import Conflict, InvalidInput, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Service
from hotwash.teams import services
from hotwash.teams.models import Team

pytestmark = pytest.mark.django_db


def _audit(action: str, service: Service) -> list[AuditRecord]:
    return list(
        AuditRecord.objects.filter(
            action=action, object_type="incidents.service", object_id=str(service.pk)
        )
    )


# --- creating -------------------------------------------------------------------


def test_a_responder_adds_a_service_with_owners_runbooks_and_contacts(
    responder: User, platform: Team, storefront: Team
) -> None:
    service = services.create_service(
        actor=responder,
        name="  shop  ",
        description="The online shop.",
        owners=["storefront", "platform", "storefront"],
        escalation_contact="Storefront on-call",
        runbooks=[{"title": " Restart   the shop ", "url": "https://wiki.example.org/shop"}],
        chat_channel="#shop",
        public=True,
        public_name="Online shop",
    )
    service.refresh_from_db()
    assert service.name == "shop"
    assert sorted(service.teams.values_list("slug", flat=True)) == ["platform", "storefront"]
    assert service.runbooks == [
        {"title": "Restart the shop", "url": "https://wiki.example.org/shop"}
    ]
    assert (service.escalation_contact, service.chat_channel) == ("Storefront on-call", "#shop")
    assert (service.public, service.public_name) == (True, "Online shop")
    [record] = _audit("service.created", service)
    assert record.actor == responder
    assert record.changes["owners"] == ["platform", "storefront"]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": "  "}, "name", "name"),
        ({"name": "x" * 101}, "name", "100"),
        ({"runbooks": [{"title": "Run", "url": "javascript:alert(1)"}]}, "runbooks", "http"),
        ({"runbooks": [{"title": "Run", "url": "ftp://files.example.org/x"}]}, "runbooks", "http"),
        ({"runbooks": [{"title": "Run", "url": "https://"}]}, "runbooks", "http"),
        ({"runbooks": [{"title": "Run", "url": "wiki/page"}]}, "runbooks", "http"),
        ({"runbooks": [{"title": "", "url": "https://wiki.example.org"}]}, "runbooks", "title"),
        ({"runbooks": [{"title": "Run"}]}, "runbooks", "address"),
        ({"runbooks": [{"title": "Run", "url": "https://a.example", "x": 1}]}, "runbooks", "x"),
        ({"runbooks": "https://wiki.example.org"}, "runbooks", "list"),
        ({"owners": ["platform", "ghosts"]}, "owners", "ghosts"),
        ({"owners": "platform"}, "owners", "list"),
        ({"escalation_contact": "x" * 201}, "escalation_contact", "200"),
        ({"chat_channel": "#" * 101}, "chat_channel", "100"),
        ({"public": "yes"}, "public", "true or false"),
        ({"public_name": "x" * 101}, "public_name", "100"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    responder: User, platform: Team, fields: dict[str, Any], field: str, words: str
) -> None:
    data: dict[str, Any] = {"name": "shop", "owners": ["platform"], **fields}
    with pytest.raises(InvalidInput) as caught:
        services.create_service(actor=responder, **data)
    assert caught.value.field == field
    assert words in caught.value.message
    assert not Service.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="service.").exists()


def test_a_name_already_in_the_catalog_is_a_conflict(responder: User, payments: Service) -> None:
    with pytest.raises(Conflict) as caught:
        services.create_service(actor=responder, name="payments API")
    assert caught.value.field == "name"
    assert Service.objects.count() == 1


def test_a_viewer_cannot_add_a_service(viewer: User) -> None:
    with pytest.raises(PermissionDenied):
        services.create_service(actor=viewer, name="shop")
    assert not Service.objects.exists()


# --- who may change a service ------------------------------------------------------


def test_who_may_change_a_service(
    responder: User, other_responder: User, viewer: User, admin_user: User, payments: Service
) -> None:
    unowned = Service.objects.create(name="search")
    # The owning team's members and admins; any responder while no team owns it.
    assert services.can_edit_service(responder, payments)
    assert services.can_edit_service(admin_user, payments)
    assert not services.can_edit_service(other_responder, payments)
    assert services.can_edit_service(other_responder, unowned)
    # Viewers read only, whoever owns it.
    assert not services.can_edit_service(viewer, unowned)
    Team.objects.get(slug="platform").members.add(viewer)
    assert not services.can_edit_service(viewer, payments)
    with pytest.raises(PermissionDenied):
        services.update_service(payments, actor=other_responder, changes={"description": "x"})
    payments.refresh_from_db()
    assert payments.description == "Takes card payments."


# --- changing ----------------------------------------------------------------------


def test_a_change_records_what_changed_and_only_that(
    responder: User, payments: Service, storefront: Team
) -> None:
    changed = services.update_service(
        payments,
        actor=responder,
        changes={
            "description": "Takes card payments.",  # the same: not a change
            "owners": ["storefront", "platform"],
            "runbooks": [{"title": "Refunds", "url": "http://wiki.example.org/refunds"}],
            "public": True,
        },
    )
    assert set(changed) == {"owners", "runbooks", "public"}
    assert changed["owners"] == {"from": ["platform"], "to": ["platform", "storefront"]}
    payments.refresh_from_db()
    assert payments.public is True
    assert payments.runbooks == [{"title": "Refunds", "url": "http://wiki.example.org/refunds"}]
    [record] = _audit("service.updated", payments)
    assert record.actor == responder
    assert record.changes == changed


def test_nothing_changed_writes_nothing(responder: User, payments: Service) -> None:
    changed = services.update_service(
        payments, actor=responder, changes={"owners": ["platform"], "chat_channel": " #payments "}
    )
    assert changed == {}
    assert _audit("service.updated", payments) == []


def test_a_rename_keeps_the_incidents_and_refuses_a_taken_name(
    responder: User, payments: Service, incident: Any
) -> None:
    incident.services.add(payments)
    Service.objects.create(name="checkout")
    with pytest.raises(Conflict):
        services.update_service(payments, actor=responder, changes={"name": "checkout"})
    services.update_service(payments, actor=responder, changes={"name": "payments"})
    assert list(incident.services.values_list("name", flat=True)) == ["payments"]


def test_one_bad_field_changes_nothing(responder: User, payments: Service) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.update_service(
            payments,
            actor=responder,
            changes={"description": "New", "owners": ["nobody"], "public": True},
        )
    assert "nobody" in caught.value.message
    payments.refresh_from_db()
    assert (payments.description, payments.public) == ("Takes card payments.", False)
    assert list(payments.teams.values_list("slug", flat=True)) == ["platform"]
    assert _audit("service.updated", payments) == []


# --- teams ------------------------------------------------------------------------------


def test_teams_are_created_changed_or_left_alone(responder: User, admin_user: User) -> None:
    team, outcome, _diff = services.save_team(
        "sre", actor=admin_user, changes={"name": "SRE", "members": ["amira"]}
    )
    assert outcome == "created"
    assert list(team.members.all()) == [responder]
    _team, outcome, diff = services.save_team(
        "sre", actor=admin_user, changes={"email": "sre@example.org", "members": ["amira"]}
    )
    assert (outcome, set(diff)) == ("updated", {"email"})
    assert services.save_team("sre", actor=None, changes={"name": "SRE"})[1] == "unchanged"
    actions = AuditRecord.objects.filter(object_type="teams.team").values_list("action", flat=True)
    assert sorted(actions) == ["team.created", "team.updated"]


@pytest.mark.parametrize(
    ("slug", "changes", "field"),
    [
        ("sre", {"name": "SRE", "members": ["ghost"]}, "members"),
        ("sre", {"name": "SRE", "email": "not an address"}, "email"),
        (
            "sre",
            {"name": "SRE", "pagerduty_routing_key_env": "no spaces please"},
            "pagerduty_routing_key_env",
        ),
        # Stored in a row: only a variable Hotwash reads for rows (the
        # channel would otherwise send, say, the database's password).
        (
            "sre",
            {"name": "SRE", "pagerduty_routing_key_env": "DATABASE_PASSWORD"},
            "pagerduty_routing_key_env",
        ),
        ("sre", {}, "name"),
        ("s r e", {"name": "SRE"}, "slug"),
    ],
)
def test_bad_team_input_is_refused(slug: str, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.save_team(slug, actor=None, changes=changes)
    assert caught.value.field == field
    assert not Team.objects.exists()


def test_a_team_key_is_a_hotwash_secret_variable_or_a_secret_file() -> None:
    for source in ("HOTWASH_SECRET_PD_SRE", "/run/secrets/pagerduty-sre"):
        team, _outcome, _diff = services.save_team(
            "sre", actor=None, changes={"name": "SRE", "pagerduty_routing_key_env": source}
        )
        team.full_clean()
        assert team.pagerduty_routing_key_env == source


def test_only_admins_change_teams(responder: User) -> None:
    with pytest.raises(PermissionDenied):
        services.save_team("sre", actor=responder, changes={"name": "SRE"})
