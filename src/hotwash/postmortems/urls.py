"""Pages for postmortems, mounted under the language prefix."""

from django.urls import URLPattern, URLResolver, path

from hotwash.postmortems import views

app_name = "postmortems"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.postmortem_list, name="list"),
    # ?incident=INC-5 starts that incident's postmortem.
    path("new/", views.new_postmortem, name="new"),
    path("learned/", views.learned, name="learned"),
    # The staff feed: signed in, or with a personal feed token (?token=).
    path("feed.atom", views.feed, name="feed"),
    path("feed-token/", views.feed_token, name="feed-token"),
    path("public/", views.public_index, name="public-index"),
    path("public/<int:pk>/", views.public_detail, name="public-detail"),
    path("public/feed.atom", views.public_feed, name="public-feed"),
    path("<int:pk>/", views.postmortem_detail, name="detail"),
    path("<int:pk>/edit/", views.editor, name="edit"),
    path("<int:pk>/edit/<slug:key>/", views.save_section, name="save-section"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    # ?lang= chooses the language version, ?presenter=1 the presenter's view.
    path("<int:pk>/slides/", views.slides, name="slides"),
    path("<int:pk>/details/", views.edit_header, name="header"),
    path("<int:pk>/factors/", views.edit_factors, name="factors"),
    path("<int:pk>/reviewers/", views.change_reviewers, name="reviewers"),
    path("<int:pk>/status/", views.change_status, name="status"),
    path("<int:pk>/decision/", views.decide, name="decision"),
    path("<int:pk>/checklist/", views.change_checklist, name="checklist"),
    path("<int:pk>/comments/", views.add_comment, name="comment"),
    path(
        "<int:pk>/comments/<int:comment_id>/resolve/",
        views.resolve_comment,
        name="resolve-comment",
    ),
]
