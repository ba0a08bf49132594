"""Finding words in English and French, on both databases: stemming,
accents, every kind of thing indexed, ranking, filters, and an index kept
current by every change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from hotwash.actions.services import create_action_item
from hotwash.incidents.linking import merge_incidents
from hotwash.incidents.models import Incident
from hotwash.incidents.services import (
    add_timeline_event,
    declare_incident,
    edit_timeline_event,
    update_incident,
)
from hotwash.search import engine
from hotwash.search.models import Document
from hotwash.search.queries import SearchParams, search
from tests.search.helpers import alert_group, postmortem_for, refs, write_section

pytestmark = pytest.mark.django_db


# --- both languages --------------------------------------------------------------


def test_a_word_of_a_french_timeline_note_finds_its_incident(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Boutique lente", severity=3)
    add_timeline_event(incident, actor=responder, body="Échec des paiements par carte depuis 14 h.")

    assert refs(responder, "paiement") == [incident.ref]
    assert refs(responder, "echec") == [incident.ref]
    assert refs(responder, "ÉCHEC des paiements") == [incident.ref]


def test_french_plurals_and_accents_fold_both_ways(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Les paiement echoue")

    assert refs(responder, "paiements") == [incident.ref]
    assert refs(responder, "échoué") == [incident.ref]


def test_ligatures_are_spelled_out(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Le cœur du réseau est saturé")

    assert refs(responder, "coeur reseau") == [incident.ref]


def test_english_stemming_finds_other_forms(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Replica lagging behind the primary")

    assert refs(responder, "lag") == [incident.ref]
    assert refs(responder, "replicas lagged") == [incident.ref]
    assert refs(responder, "primaries") == [incident.ref]


def test_every_word_must_match(responder: User) -> None:
    declare_incident(actor=responder, title="Replica lagging")

    assert refs(responder, "replica checkout") == []


def test_a_query_of_punctuation_or_stop_words_finds_nothing(responder: User) -> None:
    declare_incident(actor=responder, title="The shop is down")

    assert refs(responder, "?!") == []
    assert refs(responder, "") == []


def test_query_syntax_is_only_words(responder: User) -> None:
    # FTS5 and tsquery operators in a query are words, never syntax.
    incident = declare_incident(actor=responder, title="Disk NEAR full on db-1")

    assert refs(responder, 'disk" OR "x* NEAR(') == []
    assert refs(responder, "disk & full | !db") == [incident.ref]


# --- every kind ------------------------------------------------------------------


def test_it_finds_postmortem_sections_in_both_languages(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Checkout down")
    postmortem = postmortem_for(incident, responder)
    write_section(postmortem, responder, "summary", "en", "A certificate expired on the gateway.")
    write_section(
        postmortem, responder, "summary", "fr", "Le certificat de la passerelle a expiré."
    )

    assert postmortem.ref in refs(responder, "certificates expiring")
    assert postmortem.ref in refs(responder, "passerelles")
    assert refs(responder, "passerelle", kinds=("postmortem",)) == [postmortem.ref]


def test_it_finds_action_items_and_alert_groups(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Checkout down")
    item = create_action_item(
        actor=responder,
        title="Rotate the gateway certificate automatically",
        description="Renouveler le certificat sans intervention.",
        owner=responder,
        incident=incident,
    )
    group = alert_group(incident, {"alertname": "GatewayCertificateExpiry", "team": "payments"})

    assert refs(responder, "renouvellement", kinds=("action_item",)) == [item.ref]
    assert refs(responder, "gatewaycertificateexpiry") == [f"AG-{group.pk}"]
    assert refs(responder, "payments", kinds=("alert_group",)) == [f"AG-{group.pk}"]


# --- ranking and snippets --------------------------------------------------------


def test_a_title_match_ranks_above_a_passing_mention(responder: User) -> None:
    mention = declare_incident(
        actor=responder, title="Slow pages", summary="Some users also saw a timeout."
    )
    title = declare_incident(actor=responder, title="Timeout on checkout")

    assert refs(responder, "timeout") == [title.ref, mention.ref]


def test_more_of_the_words_rank_higher(responder: User) -> None:
    once = declare_incident(actor=responder, title="Queue full", summary="Kafka lag.")
    often = declare_incident(
        actor=responder, title="Kafka consumer lag", summary="Kafka lag grows; kafka brokers."
    )

    assert refs(responder, "kafka") == [often.ref, once.ref]


def test_snippets_mark_the_words_and_escape_the_text(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Checkout <script>alert(1)</script>")
    add_timeline_event(
        incident,
        actor=responder,
        body="Long note. " * 40 + "The <b>payment</b> provider returned 502 for all payments.",
    )

    [result] = search(responder, SearchParams(text="payments")).items
    assert "<mark>payment</mark>" in result.snippet_html
    assert "<mark>payments</mark>" in result.snippet_html
    assert "&lt;b&gt;" in result.snippet_html and "<b>" not in result.snippet_html
    assert result.snippet_html.startswith("… ")
    assert "<script>" not in result.title_html


# --- filters ---------------------------------------------------------------------


def test_filters_by_kind_type_and_period(responder: User, admin_user: User) -> None:
    old = declare_incident(actor=responder, title="Database failover")
    Incident.objects.filter(pk=old.pk).update(declared_at=timezone.now() - timedelta(days=40))
    update_incident(old, actor=responder, changes={"summary": "Failover took long."})
    breach = declare_incident(
        actor=responder,
        title="Database export leaked",
        type="privacy-breach",
        fields={"personal_information": "emails", "people_affected": 3},
    )
    today = timezone.localdate()

    assert refs(admin_user, "database", types=("privacy-breach",)) == [breach.ref]
    assert refs(admin_user, "database", since=today - timedelta(days=1)) == [breach.ref]
    assert refs(admin_user, "database", until=today - timedelta(days=30)) == [old.ref]
    assert refs(admin_user, "database", kinds=("postmortem",)) == []
    assert set(refs(admin_user, "database", since=date(2000, 1, 1))) == {old.ref, breach.ref}


# --- kept current ----------------------------------------------------------------


def test_edits_replace_the_words(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Shop down")
    entry = add_timeline_event(incident, actor=responder, body="Redis is thrashing.")
    assert refs(responder, "thrashing") == [incident.ref]

    edit_timeline_event(entry, actor=responder, body="Memcached evictions.")
    update_incident(incident, actor=responder, changes={"title": "Cache trouble"})

    assert refs(responder, "thrashing") == []
    assert refs(responder, "eviction") == [incident.ref]
    assert refs(responder, "cache") == [incident.ref]
    assert refs(responder, "shop") == []


def test_deleting_removes_from_the_index(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Printer on fire")
    add_timeline_event(incident, actor=responder, body="Toner everywhere.")
    item = create_action_item(
        actor=responder, title="Buy a toner extinguisher", owner=responder, incident=incident
    )
    group = alert_group(incident, {"alertname": "TonerLow"})

    group.delete()
    assert refs(responder, "tonerlow") == []
    item.delete()
    assert refs(responder, "extinguisher", kinds=("action_item",)) == []
    incident.delete()
    assert refs(responder, "toner") == []
    assert not Document.objects.exists()


def test_a_rolled_back_change_leaves_no_words(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Shop down")

    with pytest.raises(RuntimeError), transaction.atomic():
        add_timeline_event(incident, actor=responder, body="Zeppelin")
        raise RuntimeError("undo")

    assert refs(responder, "zeppelin") == []


def test_it_ranks_only_the_newest_candidates(
    responder: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "CANDIDATES", 3)
    incidents = [declare_incident(actor=responder, title=f"Outage {n}") for n in range(5)]

    found = search(responder, SearchParams(text="outage"))

    assert found.count == 3 and not found.exact
    assert {result.ref for result in found.items} == {i.ref for i in incidents[2:]}


def test_a_merge_moves_the_words_to_the_survivor(responder: User) -> None:
    duplicate = declare_incident(actor=responder, title="Second alert storm")
    add_timeline_event(duplicate, actor=responder, body="Kernel panic on worker-03.")
    item = create_action_item(
        actor=responder, title="Pin the kernel version", owner=responder, incident=duplicate
    )
    survivor = declare_incident(actor=responder, title="Alert storm")

    merge_incidents(duplicate, actor=responder, into=survivor)

    assert survivor.ref in refs(responder, "kernel panic", kinds=("incident",))
    [result] = search(responder, SearchParams(text="pin kernel", kinds=("action_item",))).items
    assert result.ref == item.ref and result.incident_ref == survivor.ref
