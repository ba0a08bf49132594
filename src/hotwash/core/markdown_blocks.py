"""Where a Markdown text's headings and code blocks are, line by line.

Read with markdown-it-py, configured as the pages render Markdown
(`commonmark()`: CommonMark, raw HTML off, tables), so that what the
postmortem importer takes for a section heading, and what the blameless
linter leaves alone as code, is what a reader sees: a heading inside a code
block is code, a fence inside a list item or a block quote is code, a `~~~`
fence is closed by a longer `~~~~` run, and a line underlined with `---`
(a setext heading) is not a heading written with `#`.

Lines are numbered from 0 as markdown-it counts them: a line ends at
"\\n", "\\r\\n" or a lone "\\r".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

_LINE_BREAK = re.compile(r"\r\n?|\n")


def commonmark() -> MarkdownIt:
    """A new parser reading Markdown as Hotwash does everywhere: CommonMark
    with raw HTML shown as text, no bare links made into links, tables and
    strikethrough."""
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


@functools.cache
def _block_parser() -> MarkdownIt:
    # Only the blocks are wanted: parsing each block's inline text (emphasis,
    # links, code spans) would cost more than the rest.
    return commonmark().disable(["inline", "text_join"])


@dataclass(frozen=True)
class Heading:
    line: int
    depth: int  # 1 for "#", 2 for "##" ...
    title: str  # as written, without the "#"s and the spaces around it


@dataclass(frozen=True)
class CodeBlock:
    """Lines [start, end) of a code block: the fences' lines included."""

    start: int
    end: int
    fenced: bool


def headings(text: str) -> list[Heading]:
    """The headings written with "#" at the top level of the document, in
    order; not those inside code blocks, block quotes or list items, nor
    setext headings."""
    tokens = _block_parser().parse(text)
    return [
        Heading(line=token.map[0], depth=len(token.markup), title=tokens[index + 1].content)
        for index, token in enumerate(tokens)
        if token.type == "heading_open"
        and token.level == 0
        and token.markup.startswith("#")
        and token.map is not None
    ]


def code_blocks(text: str) -> list[CodeBlock]:
    """The code blocks, fenced or indented, wherever they are (in list items
    and block quotes too), in order."""
    return [
        CodeBlock(start=token.map[0], end=token.map[1], fenced=token.type == "fence")
        for token in _block_parser().parse(text)
        if token.type in ("fence", "code_block") and token.map is not None
    ]


def line_starts(text: str) -> list[int]:
    """The offset in `text` where each line starts, the lines counted as
    markdown-it counts them."""
    return [0, *(match.end() for match in _LINE_BREAK.finditer(text))]
