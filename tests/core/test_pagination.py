"""`{% pagination page %}`, the page links under every list."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.utils import translation

TEMPLATE = Template("{% load pages %}{% pagination page %}")


def render(number: int, query: str = "") -> str:
    paginator = Paginator(range(30), 1)
    request = RequestFactory().get("/en/incidents/?" + query)
    with translation.override("en"):
        return TEMPLATE.render(RequestContext(request, {"page": paginator.get_page(number)}))


def test_the_current_page_has_neighbours_ends_and_ellipses() -> None:
    html = render(10, "status=open&page=10")
    assert '<a href="?status=open&amp;page=10" aria-current="page">10</a>' in html
    for number in (1, 8, 9, 11, 12, 30):
        assert f'href="?status=open&amp;page={number}"' in html
    for number in (2, 7, 13, 29):
        assert f'page={number}"' not in html
    assert html.count('<span aria-hidden="true">…</span>') == 2
    assert 'rel="prev"' in html and 'rel="next"' in html


def test_the_first_page_has_no_previous_link() -> None:
    html = render(1)
    assert 'rel="prev"' not in html
    assert 'href="?page=2" rel="next"' in html


def test_a_single_page_shows_no_navigation() -> None:
    paginator = Paginator(range(3), 10)
    html = TEMPLATE.render(Context({"page": paginator.get_page(1)}))
    assert html.strip() == ""
