"""The organisation's known names: whom the blameless-language assistant
takes for a person.

One definition for every place the assistant runs (the postmortem editor
through POST /api/v1/lint, the review panel and GET /postmortems/{ref}/lint,
stakeholder updates, `hotwash lint`): the username, first name and full name
of every account, active or not (someone who has left can still be blamed
in a postmortem), participants in the incident or not. A full name brings
its parts (given and family name alone) through the engine.

The engine treats these names with care (a one-word name counts only where
written with a capital: see `hotwash.blameless.engine._accounts`); names an
author adds are passed beside them as `names`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model


def organisation_names() -> tuple[str, ...]:
    """The names of every account, sorted, without repeats.

    One query of three columns, whatever the number of accounts: callers
    ask once per request and pass the tuple to every text they check (a
    postmortem's sections, an update's two languages). The engine compiles
    the names into a pattern once for as long as they do not change, so a
    keystroke in the editor costs this query, not a compilation."""
    rows = get_user_model().objects.values_list("username", "first_name", "last_name")
    names: set[str] = set()
    for username, first_name, last_name in rows:
        full_name = f"{first_name} {last_name}".strip()
        names.update(name for name in (username, first_name, full_name) if name)
    return tuple(sorted(names))
