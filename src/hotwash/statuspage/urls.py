"""Status page URLs, under the language prefix: /<lang>/status/..."""

from django.urls import URLPattern, URLResolver, path

from hotwash.statuspage import views

app_name = "statuspage"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.page, name="page"),
    path("feed.atom", views.feed, name="feed"),
    path("internal/", views.internal, name="internal"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/sent/", views.subscribe_sent, name="subscribe-sent"),
    path("subscriptions/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscriptions/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("<str:service>/feed.atom", views.service_feed, name="service-feed"),
]
