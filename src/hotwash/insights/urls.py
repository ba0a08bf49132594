"""Insights and themes, mounted under the language prefix at /<lang>/insights/."""

from django.urls import URLPattern, URLResolver, path

from hotwash.insights.views import insights_page, themes_page

app_name = "insights"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", insights_page.insights, name="insights"),
    path("themes/", themes_page.themes, name="themes"),
]
