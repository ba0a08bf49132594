"""A postmortem as slides ("Show The Thing", issue 16): the builder, which
keeps every slide short enough for a printed page, and the page, which
follows the postmortem page's rules on who may see it. What a browser does
with the slides (keys, presenter's view, printing) is in
tests/browser/test_slides.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from hotwash.actions.services import create_action_item
from hotwash.incidents import services as incidents
from hotwash.postmortems import services
from hotwash.postmortems.models import Kind, Postmortem, Section
from hotwash.postmortems.slides import (
    MAX_POINT_CHARS,
    MAX_POINTS,
    MAX_SLIDES_PER_TOPIC,
    DeckSource,
    Fact,
    Item,
    Moment,
    SectionText,
    Slide,
    build_slides,
    shorten,
    text_blocks,
)
from tests.support.axe import misnested_in_paragraphs

# --- the builder ----------------------------------------------------------------

WORDS = "The retry storm kept the database busy while the queue grew without bound"


def _sections(**bodies: str) -> list[SectionText]:
    """The default outline's sections that matter here, with these bodies."""
    outline = [
        ("summary", "Summary", 2),
        ("impact", "Impact", 2),
        ("impact_end_users", "End users", 3),
        ("impact_staff", "Staff", 3),
        ("trigger", "Trigger", 2),
        ("timeline", "Timeline", 2),
        ("contributing_factors", "Contributing factors", 2),
        ("lessons", "Lessons learned", 2),
        ("went_well", "What went well", 3),
        ("got_lucky", "Where we got lucky", 3),
        ("action_items", "Action items", 2),
    ]
    return [SectionText(key, title, level, bodies.get(key, "")) for key, title, level in outline]


def _source(**kwargs: Any) -> DeckSource:
    defaults: dict[str, Any] = {
        "title": "Checkout fails",
        "facts": [Fact("Postmortem", "PM-1")],
        "sections": _sections(),
        "items": [],
    }
    return DeckSource(**{**defaults, **kwargs})


def _keys(slides: list[Slide]) -> list[str]:
    return [slide.key for slide in slides]


def test_text_blocks_are_the_words_a_reader_sees() -> None:
    markdown = (
        "First **bold** paragraph with [a link](https://example.org).\n\n"
        "- one\n- `two` items\n\n"
        "```\ncode stays out\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert text_blocks(markdown) == [
        "First bold paragraph with a link.",
        "one",
        "two items",
        "a · b",
        "1 · 2",
    ]
    assert text_blocks("") == []


def test_shorten_cuts_at_a_word_and_says_so() -> None:
    assert shorten("short", 10) == "short"
    cut = shorten(WORDS, 40)
    assert len(cut) <= 40 and cut.endswith("…")
    assert WORDS.startswith(cut[:-1])
    assert not cut[:-1].endswith(" ")
    # A single long word is cut where it must be.
    assert len(shorten("x" * 300, 50)) == 50


def test_the_deck_tells_the_story_in_order_and_skips_what_is_not_written() -> None:
    source = _source(
        sections=_sections(
            summary="Checkout failed for an hour.",
            impact="Most payments failed.",
            trigger="A config change.",  # not on a slide: not in the list
            contributing_factors="- No canary",
            went_well="Rollback was fast.",
        ),
        durations=[Fact("Total impact", "1 h 5 min")],
        moments=[Moment(datetime(2025, 3, 1, 3, 20, tzinfo=UTC), "Rolled back")],
        zone="UTC",
        items=[Item("AI-3", "Add a canary", "Amira", date(2025, 4, 1), "Open")],
    )
    slides = build_slides(source)
    assert _keys(slides) == [
        "title",
        "impact",
        "timeline",
        "contributing_factors",
        "went_well",
        "action_items",
    ]
    title = slides[0]
    assert title.title == "Checkout fails"
    assert title.lead == "Checkout failed for an hour."
    assert title.facts == (Fact("Postmortem", "PM-1"),)
    assert slides[1].facts == (Fact("Total impact", "1 h 5 min"),)
    moment = slides[2].points[0]
    assert (moment.label, moment.text) == ("03:20", "Rolled back")
    assert moment.when == "2025-03-01T03:20:00+00:00"
    assert slides[2].lead == "Key moments, times in UTC."
    assert not any("config change" in slide.lead for slide in slides)


def test_a_long_section_continues_once_and_the_rest_goes_to_the_notes() -> None:
    bullets = [f"Factor {number}: {WORDS} {WORDS}" for number in range(1, 13)]
    source = _source(sections=_sections(contributing_factors="\n".join(f"- {b}" for b in bullets)))
    slides = [slide for slide in build_slides(source) if slide.key == "contributing_factors"]
    assert len(slides) == MAX_SLIDES_PER_TOPIC
    assert [slide.title for slide in slides] == [
        "Contributing factors (1 of 2)",
        "Contributing factors (2 of 2)",
    ]
    for slide in slides:
        assert len(slide.points) <= MAX_POINTS
        assert all(len(point.text) <= MAX_POINT_CHARS for point in slide.points)
        # Every point was cut: its whole text is in that slide's notes.
        for point in slide.points:
            assert point.text.endswith("…")
            assert any(note.startswith(point.text[:-1]) for note in slide.notes)
    shown = MAX_POINTS * MAX_SLIDES_PER_TOPIC
    for bullet in bullets[shown:]:
        assert bullet in slides[-1].notes
    # Nothing is lost: each bullet is on a slide or in the notes, in full.
    every_note = [note for slide in slides for note in slide.notes]
    assert all(bullet in every_note for bullet in bullets)


def test_a_slide_that_says_everything_gets_a_hint_for_the_presenter() -> None:
    source = _source(sections=_sections(got_lucky="The backup was recent."))
    lucky = next(slide for slide in build_slides(source) if slide.key == "got_lucky")
    assert lucky.points[0].text == "The backup was recent."
    assert len(lucky.notes) == 1 and "chance" in lucky.notes[0]


def test_the_summary_beyond_the_lead_is_in_the_notes() -> None:
    long_summary = " ".join([WORDS] * 6)
    source = _source(sections=_sections(summary=f"{long_summary}\n\nSecond paragraph."))
    title = build_slides(source)[0]
    assert title.lead.endswith("…") and len(title.lead) <= 280
    assert title.notes == (long_summary, "Second paragraph.")


def test_impact_names_each_kind_of_impact() -> None:
    source = _source(
        sections=_sections(
            impact_end_users="40% of checkouts failed.", impact_staff="Support queue doubled."
        )
    )
    impact = next(slide for slide in build_slides(source) if slide.key == "impact")
    assert impact.title == "Impact"
    assert [(p.label, p.text) for p in impact.points] == [
        ("End users", "40% of checkouts failed."),
        ("Staff", "Support queue doubled."),
    ]


def test_impact_with_durations_keeps_room_for_them() -> None:
    source = _source(
        sections=_sections(impact="\n".join(f"- point {n}" for n in range(6))),
        durations=[Fact("Time to detect", "5 min"), Fact("Total impact", "1 h 0 min")],
    )
    impact = [slide for slide in build_slides(source) if slide.key == "impact"]
    assert len(impact[0].points) == MAX_POINTS - 1
    assert impact[0].facts and not impact[1].facts


def test_moments_over_several_days_show_the_date() -> None:
    start = datetime(2025, 3, 1, 23, 50, tzinfo=UTC)
    source = _source(
        moments=[Moment(start, "Alert"), Moment(start + timedelta(minutes=20), "Rolled back")],
        sections=_sections(timeline="Context for the presenter."),
    )
    timeline = next(slide for slide in build_slides(source) if slide.key == "timeline")
    assert [point.label for point in timeline.points] == ["2025-03-01 23:50", "2025-03-02 00:10"]
    assert timeline.notes == ("Context for the presenter.",)


def test_a_retrospective_without_key_moments_shows_its_timeline_text() -> None:
    source = _source(sections=_sections(timeline="- March: kick-off\n- May: launch"))
    timeline = next(slide for slide in build_slides(source) if slide.key == "timeline")
    assert [point.text for point in timeline.points] == ["March: kick-off", "May: launch"]


def test_action_items_say_owner_due_date_and_status_in_words() -> None:
    items = [
        Item("AI-3", "Add a canary", "Amira", date(2025, 4, 1), "Open"),
        Item("AI-4", "Document the rollback", None, None, "Done"),
    ]
    slide = build_slides(_source(items=items))[-1]
    assert slide.key == "action_items"
    assert [point.label for point in slide.points] == ["AI-3", "AI-4"]
    assert slide.points[0].detail == "Owner: Amira · due 2025-04-01 · status: Open"
    assert slide.points[1].detail == "No owner yet · no due date · status: Done"


def test_no_action_items_is_said_and_no_section_means_no_slide() -> None:
    assert build_slides(_source(items=[]))[-1].lead == "No action items are recorded yet."
    assert "action_items" not in _keys(build_slides(_source(items=None)))


def test_the_deck_speaks_french() -> None:
    items = [Item("AI-3", "Ajouter un canari", None, date(2025, 4, 1), "Ouverte")]
    long = "\n".join(f"- facteur {n}" for n in range(10))
    with translation.override("fr"):
        slides = build_slides(
            _source(items=items, sections=_sections(contributing_factors=long, got_lucky="Oui."))
        )
    factors = next(slide for slide in slides if slide.key == "contributing_factors")
    assert factors.title == "Contributing factors (1 sur 2)"
    assert (
        slides[-1].points[0].detail
        == "Pas encore de responsable · échéance le 2025-04-01 · statut : Ouverte"
    )
    lucky = next(slide for slide in slides if slide.key == "got_lucky")
    assert "hasard" in lucky.notes[0]


# --- the page -------------------------------------------------------------------


def _write(postmortem: Postmortem, actor: User, key: str, language: str, body: str) -> None:
    """Save a section from its current version (a new postmortem may
    start with some text already)."""
    current = Section.objects.filter(postmortem=postmortem, key=key, language=language).first()
    services.save_section(
        postmortem,
        actor=actor,
        key=key,
        language=language,
        body=body,
        base_version=current.version if current else 0,
    )


def _postmortem(actor: User, *, private: bool = False) -> Postmortem:
    incident = incidents.declare_incident(
        actor=actor,
        title="Checkout fails",
        severity=2,
        summary="Payments time out.",
        private=private,
    )
    incidents.add_timeline_event(
        incident, actor=actor, body="Rolled back the release", key_moment=True
    )
    postmortem = services.create_retrospective(
        actor=actor, title="", kind=Kind.INCIDENT, incident=incident
    )
    for language, summary, factors in (
        ("en", "Checkout failed for an hour.", "- No canary for config changes"),
        ("fr", "Le paiement a échoué pendant une heure.", "- Pas de canari pour la configuration"),
    ):
        _write(postmortem, actor, "summary", language, summary)
        _write(postmortem, actor, "contributing_factors", language, factors)
    create_action_item(actor=actor, title="Add a canary", owner=actor, postmortem=postmortem)
    return postmortem


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _slides(html: str) -> list[str]:
    return re.findall(r'<section class="slide slide--([a-z_]+)"', html)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "summary", "factors", "owner"),
    [
        ("en", "Checkout failed for an hour.", "Contributing factors", "Owner: Amira"),
        (
            "fr",
            "Le paiement a échoué pendant une heure.",
            "Facteurs contributifs",
            "Responsable : Amira",
        ),
    ],
)
def test_the_slides_page_in_each_language(
    responder_client: Client, responder: User, language: str, summary: str, factors: str, owner: str
) -> None:
    postmortem = _postmortem(responder)
    response = responder_client.get(f"/{language}/postmortems/{postmortem.pk}/slides/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert _slides(html) == ["title", "timeline", "contributing_factors", "action_items"]
    assert summary in html and factors in html and owner in html
    assert "Rolled back the release" in html
    # One idea per slide, each a <section> with its heading; a small module
    # and a stylesheet, no inline script (the page's data is JSON).
    assert html.count('<section class="slide ') == 4
    assert 'src="/static/postmortems/slides.js"' in html
    assert re.findall(r"<script(?![^>]*(?:src=|application/json))", html) == []
    assert misnested_in_paragraphs(html) == []
    # Escape and the link go back to the postmortem, in the same version.
    assert f'data-exit-url="/{language}/postmortems/{postmortem.pk}/?lang={language}"' in html


@pytest.mark.django_db
def test_the_language_version_is_chosen_like_on_the_postmortem_page(
    responder_client: Client, responder: User
) -> None:
    postmortem = _postmortem(responder)
    html = responder_client.get(f"/en/postmortems/{postmortem.pk}/slides/?lang=fr").content.decode()
    assert '<html lang="en">' in html  # the interface stays in English
    assert 'class="deck__stage" lang="fr"' in html
    assert "Facteurs contributifs" in html and "Responsable : Amira" in html
    # The other version is one link away, named in its own language.
    assert 'hreflang="en" lang="en">The slides in English</a>' in html


@pytest.mark.django_db
def test_the_presenter_view_shows_the_notes_without_javascript(
    responder_client: Client, responder: User
) -> None:
    postmortem = _postmortem(responder)
    url = f"/en/postmortems/{postmortem.pk}/slides/"
    assert 'class="slides-page"' in responder_client.get(url).content.decode()
    html = responder_client.get(f"{url}?presenter=1").content.decode()
    assert 'class="slides-page is-presenter"' in html
    assert "Describe circumstances, not people." in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_postmortem_page_links_to_its_slides(
    responder_client: Client, responder: User, language: str
) -> None:
    postmortem = _postmortem(responder)
    html = responder_client.get(f"/{language}/postmortems/{postmortem.pk}/").content.decode()
    label = {"en": "Slides", "fr": "Diapositives"}[language]
    link = f'href="/{language}/postmortems/{postmortem.pk}/slides/?lang={language}">{label}</a>'
    assert link in html


@pytest.mark.django_db
def test_a_private_incidents_slides_are_hidden_like_its_postmortem(
    responder: User, other_responder: User, admin_user: User
) -> None:
    postmortem = _postmortem(responder, private=True)
    url = f"/en/postmortems/{postmortem.pk}/slides/"
    outsider = _client(other_responder)
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"/en/postmortems/{postmortem.pk}/").status_code == 404
    assert outsider.get(f"/fr/postmortems/{postmortem.pk}/slides/").status_code == 404
    assert _client(responder).get(url).status_code == 200
    assert _client(admin_user).get(url).status_code == 200
    # Someone signed out is asked to sign in, and learns nothing.
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert b"Checkout" not in anonymous.content


@pytest.mark.django_db
def test_no_such_postmortem_is_a_404(responder_client: Client) -> None:
    assert responder_client.get("/en/postmortems/999999/slides/").status_code == 404


@pytest.mark.django_db
def test_a_retrospective_shows_its_own_timeline_and_period(
    responder_client: Client, responder: User
) -> None:
    retro = services.create_retrospective(
        actor=responder,
        title="Black Friday went well",
        services=["shop"],
        period_start="2025-11-20",
        period_end="2025-11-30",
    )
    _write(retro, responder, "timeline", "en", "- Nov 20: load test\n- Nov 28: peak")
    _write(retro, responder, "went_well", "en", "Capacity planning started early.")
    html = responder_client.get(f"/en/postmortems/{retro.pk}/slides/").content.decode()
    assert _slides(html) == ["title", "timeline", "went_well", "action_items"]
    assert "2025-11-20 \N{EN DASH} 2025-11-30" in html and "shop" in html
    assert "Nov 28: peak" in html
    assert "No action items are recorded yet." in html
