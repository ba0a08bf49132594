"""Durations in trigger and alert messages, exact and the way people say
them: "90 s", "2 min", "1 h 30 min", "1 d 2 h".

A threshold in a policy file is a promise ("expected every 90 s"), so the
sentence must give it exactly; the approximate display the incident pages use
for elapsed time ("2 h 5 min" for 2 h 5 min 40 s) would be wrong here.
Every trigger and alert sentence that shows a duration goes through
`exact_duration`.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import pgettext

# Under this, a duration that is not a whole number of minutes is said in
# seconds ("90 s" rather than "1 min 30 s"), as people write periods.
_SECONDS_BELOW = 120


def _unit(name: str, count: int) -> str:
    # Abbreviated units do not change with the number in either language.
    if name == "d":
        return pgettext("duration in days", "%(count)d d") % {"count": count}
    if name == "h":
        return pgettext("duration in hours", "%(count)d h") % {"count": count}
    if name == "min":
        return pgettext("duration in minutes", "%(count)d min") % {"count": count}
    return pgettext("duration in seconds", "%(count)d s") % {"count": count}


def exact_duration(value: timedelta | int | float) -> str:
    """`value` (a timedelta or seconds) in the active language, to the
    second: 90 s, 2 min, 1 h 30 min; parts that are zero are left out
    (86405 seconds is "1 d 5 s"). Units read largest first in English and
    French alike, so the parts are joined, each translated whole."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    total = max(int(seconds), 0)
    if total < _SECONDS_BELOW and total % 60:
        return _unit("s", total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        _unit(name, count)
        for name, count in (("d", days), ("h", hours), ("min", minutes), ("s", secs))
        if count
    ]
    return " ".join(parts) or _unit("s", 0)
