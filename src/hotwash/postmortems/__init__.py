"""Postmortems and retrospectives: drafting, editing, review, publication, Markdown round trip."""
