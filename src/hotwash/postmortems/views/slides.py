"""The postmortem as slides ("Show The Thing"): the deck in one language
version, for whoever may read the postmortem page, with a presenter's view
(?presenter=1, or the P key) and a print style of one slide per page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import AnyUser
from hotwash.incidents.display import describe_event, format_duration, person_name, severity_name
from hotwash.postmortems import services
from hotwash.postmortems.facts import incident_facts
from hotwash.postmortems.hooks import hooks
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.outlines import get_outline
from hotwash.postmortems.slides import (
    DeckSource,
    Fact,
    Item,
    Moment,
    SectionText,
    build_slides,
)
from hotwash.postmortems.views.common import (
    chosen_language,
    other_language,
    postmortem_or_404,
    section_views,
)


@login_required
def slides(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = postmortem_or_404(request, pk)
    counts = services.completeness(postmortem)
    written = {code for code, (done, _total) in counts.items() if done}
    language = chosen_language(request, postmortem, written)
    # The slides speak the version's language throughout: section titles,
    # the generated slides' words, durations and statuses.
    with translation.override(language):
        deck = build_slides(deck_source(request.user, postmortem, language))
    other = other_language(language)
    context = {
        "postmortem": postmortem,
        "language": language,
        "slides": deck,
        "presenter": request.GET.get("presenter") == "1",
        "other_language": other if other in written else "",
        "exit_url": f"{reverse('postmortems:detail', args=[postmortem.pk])}?lang={language}",
        "deck_config": deck_config(),
    }
    return render(request, "postmortems/slides.html", context)


def deck_source(reader: AnyUser, postmortem: Postmortem, language: str) -> DeckSource:
    """What the deck is made of, as `reader` may see it (the action items
    are those they may see), in the active language."""
    outline = get_outline(postmortem.template)
    sections = [
        SectionText(key=view.key, title=view.title, level=view.level, body=view.body)
        for view in section_views(postmortem, language)
    ]
    facts = [Fact(_("Postmortem"), f"{postmortem.ref} · {postmortem.get_kind_display()}")]
    durations: list[Fact] = []
    moments: list[Moment] = []
    if postmortem.incident is not None:
        incident = postmortem.incident
        found = incident_facts(incident)
        facts.append(Fact(_("Incident"), f"{incident.ref} · {severity_name(incident.severity)}"))
        service_names = found.services
        durations = [
            Fact(duration.label, format_duration(duration.value))
            for duration in found.durations
            if duration.value is not None
        ]
        moments = [
            Moment(
                at=timezone.localtime(event.occurred_at),
                text=" ".join(describe_event(event).split()),
            )
            for event in found.key_moments
        ]
    else:
        service_names = sorted(postmortem.services.values_list("name", flat=True))
        start, end = postmortem.period_start, postmortem.period_end
        if start or end:
            # As the postmortem page writes it; "…" for an open end.
            period = (start.isoformat() if start else "…", end.isoformat() if end else "…")
            facts.append(Fact(_("Period"), " \N{EN DASH} ".join(period)))
    if service_names:
        facts.append(Fact(_("Services"), ", ".join(service_names)))
    has_items = any(section.generated == "action_items" for section in outline.sections)
    return DeckSource(
        title=postmortem.title,
        facts=facts,
        sections=sections,
        durations=durations,
        moments=moments,
        zone=timezone.get_current_timezone_name(),
        items=action_items(postmortem, reader) if has_items else None,
    )


def action_items(postmortem: Postmortem, reader: AnyUser) -> list[Item]:
    listed = hooks.action_items(postmortem, reader)
    usernames = {item.owner for item in listed if item.owner}
    names = {
        user.username: person_name(user) for user in User.objects.filter(username__in=usernames)
    }
    return [
        Item(
            ref=f"AI-{item.pk}",
            title=item.title,
            owner=names.get(item.owner, item.owner) if item.owner else None,
            due_on=item.due_on,
            status=item.status,
        )
        for item in listed
    ]


def deck_config() -> dict[str, str]:
    """The sentences the ES module says, in the reader's language."""
    return {
        "position": _("Slide %(current)s of %(total)s"),
        "announce": _("Slide %(current)s of %(total)s: %(title)s"),
        "presenterOn": _("Presenter view on. Escape leaves it."),
        "presenterOff": _("Presenter view off."),
        "lastSlide": _("This is the last slide."),
    }


__all__ = ["slides"]
