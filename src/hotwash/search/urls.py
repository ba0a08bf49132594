"""The search page, mounted under the language prefix at /<lang>/search/."""

from django.urls import URLPattern, URLResolver, path

from hotwash.search.views import search_page

app_name = "search"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", search_page.search, name="search"),
]
