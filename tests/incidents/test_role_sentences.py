"""Role changes on the timeline and in the catch-up read as sentences: people
by their names (their username when they gave none), the role in lower case
mid-sentence, in the reader's language."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from hotwash.accounts.services import create_user
from hotwash.actions import services as actions
from hotwash.incidents import services
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import Incident, TimelineKind
from hotwash.incidents.present import catchup_summary
from hotwash.incidents.queries import build_catchup

pytestmark = pytest.mark.django_db


@pytest.fixture
def amira(db: None) -> User:
    return create_user("amira", first_name="Amira", last_name="Haddad")


@pytest.fixture
def tom(db: None) -> User:
    """Someone who gave no name."""
    return create_user("tom")


@pytest.fixture
def incident(amira: User) -> Incident:
    return services.declare_incident(actor=amira, title="Shop down", severity=2)


def _role_sentences(incident: Incident, language: str) -> list[str]:
    with translation.override(language):
        return [
            describe_event(event)
            for event in incident.timeline.filter(kind=TimelineKind.ROLE).order_by("pk")
        ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "Amira Haddad is now incident commander.",
                "tom is now scribe.",
                "Scribe handed over from tom to Amira Haddad.",
                "Amira Haddad is no longer scribe.",
                "Amira Haddad is now communications lead.",
            ],
        ),
        (
            "fr",
            [
                "Amira Haddad occupe maintenant le rôle de commandant d'incident.",
                "tom occupe maintenant le rôle de scribe.",
                "Scribe : tom a passé le relais à Amira Haddad.",
                "Amira Haddad n'occupe plus le rôle de scribe.",
                "Amira Haddad occupe maintenant le rôle de responsable des communications.",
            ],
        ),
    ],
)
def test_it_names_people_and_roles_in_sentences(
    incident: Incident, amira: User, tom: User, language: str, expected: list[str]
) -> None:
    services.assign_role(incident, actor=amira, role="commander", user=amira)
    services.assign_role(incident, actor=amira, role="scribe", user=tom)
    services.assign_role(incident, actor=amira, role="scribe", user=amira)
    services.assign_role(incident, actor=amira, role="scribe", user=None)
    services.assign_role(incident, actor=amira, role="communications", user=amira)

    assert _role_sentences(incident, language) == expected


def test_an_entry_written_before_names_were_stored_names_the_person(
    incident: Incident, amira: User, tom: User
) -> None:
    services.assign_role(incident, actor=amira, role="commander", user=amira)
    event = incident.timeline.get(kind=TimelineKind.ROLE)
    event.data = {"role": "commander", "from": None, "to": "amira"}  # as stored until now
    event.save(update_fields=["data"])

    assert _role_sentences(incident, "en") == ["Amira Haddad is now incident commander."]


@pytest.mark.parametrize(
    ("language", "commander", "others"),
    [
        ("en", "Amira Haddad is the incident commander.", "Other roles: Scribe: tom."),
        ("fr", "Amira Haddad est le commandant d'incident.", "Autres rôles : Scribe : tom."),
    ],
)
def test_the_catchup_names_the_people_in_roles(
    incident: Incident, amira: User, tom: User, language: str, commander: str, others: str
) -> None:
    services.assign_role(incident, actor=amira, role="commander", user=amira)
    services.assign_role(incident, actor=amira, role="scribe", user=tom)

    with translation.override(language):
        summary = catchup_summary(build_catchup(incident))
    assert commander in summary
    assert others in summary


@pytest.mark.parametrize(
    ("language", "created", "changed"),
    [
        (
            "en",
            "created: Add a check (owner Amira Haddad, due ",
            ": Owner changed from Amira Haddad to tom.",
        ),
        (
            "fr",
            "créée : Add a check (responsable Amira Haddad, échéance ",
            " : Responsable passe de Amira Haddad à tom.",
        ),
    ],
)
def test_action_item_entries_name_their_owners(
    incident: Incident, amira: User, tom: User, language: str, created: str, changed: str
) -> None:
    item = actions.create_action_item(
        actor=amira, title="Add a check", owner=amira, incident=incident
    )
    actions.update_action_item(item, actor=amira, changes={"owner": tom})
    with translation.override(language):
        sentences = [
            describe_event(event)
            for event in incident.timeline.filter(kind=TimelineKind.ACTION_ITEM).order_by("pk")
        ]
    assert created in sentences[0]
    assert changed in sentences[1]
