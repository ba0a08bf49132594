"""Markdown to HTML that is safe to put in a page.

Two layers, so that one mistake is not enough for script injection:
markdown-it-py parses CommonMark with raw HTML turned off (it is shown as
text) and refuses javascript: and similar links; nh3 (ammonia) then keeps
only an allow-list of tags and attributes.

Images from other sites are never loaded: a browser fetching one tells that
site who reads the postmortem, and when (public postmortems are read by
anyone). Every rendering, public or not, shows such an image as a plain
link to it instead; images of this site (relative addresses, or the origin
of HOTWASH_SITE_URL) are shown. Nothing is proxied.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from hotwash.core.markdown_blocks import commonmark

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr",
    "ul", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Characters browsers drop from a URL before reading it (tabs, line ends,
# spaces and other controls), so "/\t/host" is read as "//host".
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")


def is_internal_url(url: str) -> bool:
    """Whether `url` points at this site: a relative address (no scheme, no
    host) or one on HOTWASH_SITE_URL's origin. Read as a browser reads it:
    backslashes are slashes, ignored characters are dropped."""
    parts = urlsplit(_IGNORED_IN_URLS.sub("", url).replace("\\", "/"))
    if not parts.scheme and not parts.netloc:
        return True
    site = urlsplit(str(settings.SITE_URL))
    return (parts.scheme.lower(), parts.netloc.lower()) == (
        site.scheme.lower(),
        site.netloc.lower(),
    )


def _image(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    """An image of this site as an image; any other as a link to it, named
    by its alternative text."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    if is_internal_url(src):
        return renderer.image(tokens, idx, options, env)
    text = renderer.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(text)}</a>'


@functools.cache
def _parser() -> MarkdownIt:
    parser = commonmark()
    parser.add_render_rule("image", _image)
    return parser


def render_markdown(text: str) -> SafeString:
    """HTML for `text`, safe to include in a page as is."""
    html = _parser().render(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )
    return mark_safe(cleaned)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """The second layer for images: an external source that reached the
    HTML anyway is dropped (the image then loads nothing)."""
    if tag == "img" and attribute == "src" and not is_internal_url(value):
        return None
    return value
