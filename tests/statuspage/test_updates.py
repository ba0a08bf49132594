"""Publishing stakeholder updates (statuspage.services.publish_update):
who may, what is checked, and what one publication writes together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import translation
from pytest_django import Settings

from hotwash.core.errors import InvalidInput, NotFound, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import Incident, TimelineEvent, TimelineKind
from hotwash.incidents.services import declare_incident, update_incident
from hotwash.notifications.models import Event
from hotwash.policies import load_policies
from hotwash.statuspage.models import StakeholderUpdate
from hotwash.statuspage.services import publish_update
from hotwash.statuspage.signals import update_published
from hotwash.statuspage.update_texts import load_update_templates, starting_texts

pytestmark = pytest.mark.django_db

BOTH = {"en": "We are looking into slow checkouts.", "fr": "Nous examinons les paiements lents."}


@pytest.fixture
def policy_file(settings: Settings, tmp_path: Path) -> Iterator[Path]:
    """Point HOTWASH_POLICY_FILE at a file the test writes."""
    path = tmp_path / "policies.yaml"
    settings.POLICY_FILE = str(path)
    load_policies.cache_clear()
    load_update_templates.cache_clear()
    yield path
    load_policies.cache_clear()
    load_update_templates.cache_clear()


def test_a_public_update_is_written_with_its_timeline_entry_audit_and_event(
    incident: Incident, responder: User
) -> None:
    heard: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        heard.append(kwargs)

    update_published.connect(receiver)
    try:
        published = publish_update(
            incident, actor=responder, audience="public", status="investigating", text=BOTH
        )
    finally:
        update_published.disconnect(receiver)
    update = published.update
    assert (update.audience, update.status, update.text_en, update.text_fr) == (
        "public",
        "investigating",
        BOTH["en"],
        BOTH["fr"],
    )
    assert update.author == responder
    assert published.findings == {}
    assert [kwargs["update"] for kwargs in heard] == [update]

    entry = TimelineEvent.objects.get(incident=incident, kind=TimelineKind.STAKEHOLDER)
    assert entry.author == responder
    assert describe_event(entry) == f"Public update published (Investigating): {BOTH['en']}"
    with translation.override("fr"):
        assert describe_event(entry) == (
            f"Mise à jour publique publiée (En investigation) : {BOTH['fr']}"
        )

    audit = AuditRecord.objects.get(action="statuspage.update_published")
    assert audit.changes["audience"] == "public"

    event = Event.objects.get(type="incident.update_published")
    assert event.incident_id == incident.pk
    assert event.private is False
    assert event.data["actor"] == "amira"
    assert event.data["incident"]["ref"] == incident.ref
    assert event.data["update"] == {
        "id": update.pk,
        "audience": "public",
        "status": "investigating",
        "text": BOTH,
        "published_at": update.published_at.isoformat(),
    }


def test_texts_are_trimmed_and_an_internal_update_needs_one_language(
    incident: Incident, responder: User
) -> None:
    update = publish_update(
        incident,
        actor=responder,
        audience="internal",
        status="identified",
        text={"en": "  Cause found: a full disk.  ", "fr": ""},
    ).update
    assert (update.text_en, update.text_fr) == ("Cause found: a full disk.", "")
    with pytest.raises(InvalidInput) as refused:
        publish_update(
            incident, actor=responder, audience="internal", status="identified", text={"en": " "}
        )
    assert refused.value.field == "text.en"
    assert StakeholderUpdate.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ({"en": "Checkout is slow."}, "text.fr", "French text is missing"),
        ({"fr": "Le paiement est lent."}, "text.en", "English text is missing"),
    ],
)
def test_a_public_update_needs_both_languages(
    incident: Incident, responder: User, text: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        publish_update(
            incident, actor=responder, audience="public", status="investigating", text=text
        )
    assert refused.value.field == field
    assert message in refused.value.message
    assert not StakeholderUpdate.objects.exists()
    assert not Event.objects.filter(type="incident.update_published").exists()


def test_the_policy_may_ask_for_english_only(
    incident: Incident, policy_file: Path, responder: User
) -> None:
    # The incident first (declaring reads the policy's incident types):
    # the policy file is only written below.
    policy_file.write_text("updates:\n  public_languages: [en]\n", encoding="utf-8")
    update = publish_update(
        incident, actor=responder, audience="public", status="monitoring", text={"en": "Fixed."}
    ).update
    assert update.text_fr == ""


@pytest.mark.parametrize(
    ("audience", "status", "field"),
    [("everyone", "investigating", "audience"), ("public", "fixed", "status")],
)
def test_unknown_audience_or_status_is_refused(
    incident: Incident, responder: User, audience: str, status: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        publish_update(incident, actor=responder, audience=audience, status=status, text=BOTH)
    assert refused.value.field == field


def test_a_private_incident_gets_no_public_update(responder: User) -> None:
    secret = declare_incident(actor=responder, title="Leaked keys", severity=1, private=True)
    with pytest.raises(InvalidInput) as refused:
        publish_update(secret, actor=responder, audience="public", status="identified", text=BOTH)
    assert refused.value.status_code == 422
    assert "Make the incident public first, or publish an internal update" in (
        refused.value.message
    )
    internal = publish_update(
        secret, actor=responder, audience="internal", status="identified", text=BOTH
    )
    assert Event.objects.get(type="incident.update_published").private is True
    assert internal.update.audience == "internal"


def test_viewers_never_publish_and_outsiders_do_not_see_private_incidents(
    incident: Incident, responder: User, viewer: User, other_responder: User
) -> None:
    with pytest.raises(PermissionDenied):
        publish_update(incident, actor=viewer, audience="internal", status="identified", text=BOTH)
    with pytest.raises(PermissionDenied):
        publish_update(incident, actor=None, audience="internal", status="identified", text=BOTH)
    secret = declare_incident(actor=responder, title="Leaked keys", private=True)
    with pytest.raises(NotFound):
        publish_update(
            secret, actor=other_responder, audience="internal", status="identified", text=BOTH
        )
    # Any responder who can see the incident may: no role needed.
    publish_update(
        incident, actor=other_responder, audience="internal", status="identified", text=BOTH
    )
    assert StakeholderUpdate.objects.count() == 1


def test_the_blameless_assistant_reports_findings_without_blocking(
    incident: Incident, responder: User
) -> None:
    published = publish_update(
        incident,
        actor=responder,
        audience="internal",
        status="identified",
        text={
            "en": "Amira forgot to renew the certificate.",
            "fr": "Amira a oublié de renouveler le certificat.",
        },
    )
    assert set(published.findings) == {"en", "fr"}
    assert published.findings["en"][0].excerpt
    assert StakeholderUpdate.objects.filter(pk=published.update.pk).exists()


def test_starting_texts_name_the_services_and_the_interval(responder: User) -> None:
    sev1 = declare_incident(actor=responder, title="Down", severity=1, services=["shop"])
    texts = starting_texts(sev1, "investigating")
    assert texts["en"] == (
        "We are investigating reports of problems with shop. Next update within 30 min."
    )
    assert texts["fr"].startswith("Nous enquêtons sur des signalements de problèmes touchant shop.")
    assert "30 min" in texts["fr"]
    sev3 = declare_incident(actor=responder, title="Slow", severity=3)
    assert "our services" in starting_texts(sev3, "identified")["en"]
    assert "a few hours" in starting_texts(sev3, "identified")["en"]


def test_an_organisation_file_replaces_the_starting_texts(
    incident: Incident, policy_file: Path, tmp_path: Path
) -> None:
    own = tmp_path / "texts.yaml"
    own.write_text(
        "\n".join(
            f"{status}:\n  en: 'EN {status} {{services}}'\n  fr: 'FR {status}'"
            for status in ("investigating", "identified", "monitoring", "resolved")
        ),
        encoding="utf-8",
    )
    policy_file.write_text(f"updates:\n  templates_file: {own}\n", encoding="utf-8")
    assert starting_texts(incident, "resolved") == {
        "en": "EN resolved our services",
        "fr": "FR resolved",
    }


def test_a_templates_file_with_an_unknown_placeholder_is_refused(
    policy_file: Path, tmp_path: Path
) -> None:
    own = tmp_path / "texts.yaml"
    own.write_text(
        "\n".join(
            f"{status}:\n  en: 'EN {{eta}}'\n  fr: 'FR'"
            for status in ("investigating", "identified", "monitoring", "resolved")
        ),
        encoding="utf-8",
    )
    policy_file.write_text(f"updates:\n  templates_file: {own}\n", encoding="utf-8")
    with pytest.raises(Exception, match="unknown placeholder"):
        load_update_templates()


def test_updates_of_an_incident_made_private_keep_its_event_private(
    incident: Incident, responder: User
) -> None:
    update_incident(incident, actor=responder, changes={"private": True})
    publish_update(incident, actor=responder, audience="internal", status="monitoring", text=BOTH)
    assert Event.objects.get(type="incident.update_published").private is True


def test_a_failing_receiver_leaves_nothing_behind(incident: Incident, responder: User) -> None:
    """The update, its timeline entry, audit record and event are one
    transaction: a receiver that fails undoes them all."""

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the status page could not re-render")

    update_published.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            publish_update(
                incident, actor=responder, audience="public", status="identified", text=BOTH
            )
    finally:
        update_published.disconnect(broken)
    assert not StakeholderUpdate.objects.exists()
    assert not TimelineEvent.objects.filter(kind=TimelineKind.STAKEHOLDER).exists()
    assert not AuditRecord.objects.filter(action="statuspage.update_published").exists()
    assert not Event.objects.filter(type="incident.update_published").exists()
