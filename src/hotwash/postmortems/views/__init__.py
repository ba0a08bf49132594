"""Web pages for postmortems and retrospectives, one module per page."""

from hotwash.postmortems.views.editor import editor, preview, save_section
from hotwash.postmortems.views.factors import edit_factors
from hotwash.postmortems.views.header import edit_header
from hotwash.postmortems.views.learned import feed, feed_token, learned
from hotwash.postmortems.views.learned import public as public_feed
from hotwash.postmortems.views.listing import new_postmortem, postmortem_list
from hotwash.postmortems.views.page import postmortem_detail, public_detail, public_index
from hotwash.postmortems.views.review import (
    add_comment,
    change_checklist,
    change_reviewers,
    change_status,
    decide,
    resolve_comment,
)
from hotwash.postmortems.views.slides import slides

__all__ = [
    "add_comment",
    "change_checklist",
    "change_reviewers",
    "change_status",
    "decide",
    "edit_factors",
    "edit_header",
    "editor",
    "feed",
    "feed_token",
    "learned",
    "new_postmortem",
    "postmortem_detail",
    "postmortem_list",
    "preview",
    "public_detail",
    "public_feed",
    "public_index",
    "resolve_comment",
    "save_section",
    "slides",
]
