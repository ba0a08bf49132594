"""Demo data (`hotwash demo`): a team, and two months of their incidents,
postmortems and action items.

The demo sits at the top of the layers: it uses every domain app, and only
the `demo` command (in the composition root, `hotwash.api`) uses it.
"""
