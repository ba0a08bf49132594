"""Demo data (`hotwash demo`): a team, and two months of their incidents,
postmortems and action items.

Everything is played through the service functions, in the order it
happened, each call given the moment the story says (`now=`): timelines,
roles, participants, postmortems, action items and audit records are then
exactly what real use at those moments would have written. Nothing is
rewritten afterwards.

The demo sits at the top of the layers: it uses every domain app, and only
the `demo` command (in the composition root, `hotwash.api`) uses it.

- `schedule`: scenes and the clock that plays them in order;
- `incidents`: the stories, step by step;
- `postmortems`: the review of two incidents, and two retrospectives;
- `actions`: a dozen action items, and two teams;
- `load`: the team of people, and `load_demo()`, which plays all of it.
"""
