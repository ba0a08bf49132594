"""A published postmortem of an incident, written in both languages, that
names people, addresses and internal hosts: what a public version is for."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from pytest_django import Settings

from hotwash.incidents import services as incidents
from hotwash.postmortems import services
from hotwash.postmortems.models import Kind, Postmortem
from hotwash.postmortems.services import CHECKLIST_KEYS

SUMMARY_EN = (
    "At 03:20 Amira restarted db-1.corp.example (10.0.0.1, fe80::1) after "
    "sam.okafor@example.com saw https://grafana.corp.example/d/pay in OPS-123."
)
SUMMARY_FR = (
    "À 03:20, Amira a redémarré db-1.corp.example (10.0.0.1, fe80::1) après "
    "que sam.okafor@example.com a vu https://grafana.corp.example/d/pay dans OPS-123."
)
SECRETS = ("Amira", "db-1.corp.example", "10.0.0.1", "fe80::1", "sam.okafor@example.com",
           "grafana.corp.example", "OPS-123")  # fmt: skip


@pytest.fixture(autouse=True)
def _internal_domains(settings: Settings) -> None:
    settings.INTERNAL_DOMAINS = ["corp.example"]


def write(
    postmortem: Postmortem, actor: User, language: str, body: str, key: str = "summary"
) -> None:
    current = postmortem.sections.filter(key=key, language=language).first()
    services.save_section(
        postmortem,
        actor=actor,
        key=key,
        language=language,
        body=body,
        base_version=current.version if current else 0,
    )


def approve(postmortem: Postmortem, actor: User, *, publish: bool = True) -> Postmortem:
    services.set_reviewers(postmortem, actor=actor, usernames=[actor.username])
    for key in CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=actor, key=key, checked=True)
    steps = ("request_review", "approve", "publish") if publish else ("request_review", "approve")
    for action in steps:
        postmortem = services.transition(postmortem, actor=actor, action=action)
    return postmortem


@pytest.fixture
def make_postmortem(responder: User) -> Callable[..., Postmortem]:
    def make(*, publish: bool = True, private: bool = False) -> Postmortem:
        incident = incidents.declare_incident(
            actor=responder, title="Checkout fails", severity=2, private=private
        )
        postmortem = services.create_retrospective(
            actor=responder, title="Checkout failed for Amira", kind=Kind.INCIDENT,
            incident=incident,
        )  # fmt: skip
        services.update_postmortem(
            postmortem, actor=responder, changes={"title": "Checkout failed for Amira"}
        )
        write(postmortem, responder, "en", SUMMARY_EN)
        write(postmortem, responder, "fr", SUMMARY_FR)
        return approve(postmortem, responder, publish=publish)

    return make


@pytest.fixture
def published(make_postmortem: Callable[..., Postmortem]) -> Postmortem:
    return make_postmortem()
