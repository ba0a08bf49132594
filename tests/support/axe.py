"""axe-core in the browser tests: run it on the page a test is looking at
and list what it finds.

axe-core is an npm package pinned in package-lock.json; `make test` installs
it into node_modules/ (`npm ci`). It is evaluated in the page through the
DevTools protocol rather than added as a <script> element, which the pages'
Content-Security-Policy (no inline script) would rightly block.

The rules: WCAG 2.1 levels A and AA, plus the few rules outside those tags
that do what the hand-written checks these tests replaced did.
"""

from __future__ import annotations

import os
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
EXTRA_RULES = (
    # An id used twice breaks labels, aria references and in-page links.
    # WCAG 2.2 dropped the criterion (browsers repair the markup), so axe
    # now files the rule as deprecated; a panel included twice still shows
    # up here first.
    "duplicate-id",
    "duplicate-id-active",
    # Best practices the pages follow on purpose.
    "heading-order",  # no level skipped on the way down
    "page-has-heading-one",
    "landmark-one-main",
    "skip-link",  # the skip link's target exists
)
RUN = """async ([tags, extra]) => {
  const rules = Object.fromEntries(extra.map((id) => [id, {enabled: true}]));
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, rules, resultTypes: ["violations"],
  });
  return results.violations.flatMap((violation) => violation.nodes.map((node) => ({
    id: violation.id, impact: violation.impact, target: node.target.join(" "),
    summary: node.failureSummary,
  })));
}"""
# What axe cannot see: the language the page was asked in, the skip link
# every page starts with, and aria references to ids that do not exist
# (axe only asks for a human to review those).
HOUSE_RULES = """(language) => {
  const problems = [];
  for (const attribute of ["aria-describedby", "aria-labelledby"]) {
    for (const element of document.querySelectorAll(`[${attribute}]`)) {
      for (const id of element.getAttribute(attribute).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(`${attribute}="${id}" names nothing`);
      }
    }
  }
  const lang = document.documentElement.getAttribute("lang");
  if (lang !== language) problems.push(`<html lang="${lang}">, expected "${language}"`);
  const skip = document.querySelector("a.skip-link");
  if (!skip || skip.getAttribute("href") !== "#main" || !document.getElementById("main")) {
    problems.push("no skip link to #main first on the page");
  }
  return problems;
}"""


def require_axe() -> None:
    """Skip (fail under CI) when axe-core is not installed."""
    if AXE_JS.exists():
        return
    message = f"{AXE_JS} is missing: `make test` installs it (npm ci, from package-lock.json)."
    if os.environ.get("CI"):
        pytest.fail(message)  # CI installs it; a skip there would hide a broken setup
    pytest.skip(message)


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def violations(page: Any, where: str) -> list[str]:
    """Everything axe finds on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    found = page.evaluate(RUN, [list(WCAG_21_AA), list(EXTRA_RULES)])
    return [
        f"{where}: {item['id']} ({item['impact']}) at {item['target']}: "
        f"{' '.join(item['summary'].split())}"
        for item in found
    ]


def house_rule_violations(page: Any, where: str, language: str) -> list[str]:
    return [f"{where}: {problem}" for problem in page.evaluate(HOUSE_RULES, language)]


def assert_accessible(page: Any, where: str, language: str | None = None) -> None:
    """axe finds nothing (and, given the language, nor do the house rules)."""
    problems = violations(page, where)
    if language is not None:
        problems += house_rule_violations(page, where, language)
    assert not problems, "\n".join(problems)


# Elements a <p> cannot contain: the HTML parser closes the paragraph before
# them, so the page's structure is not what the template says. Browsers
# repair it before axe looks, so this is read from the HTML as sent.
NOT_IN_PARAGRAPH = frozenset(
    {"form", "div", "ul", "ol", "dl", "table", "section", "details", "fieldset", "p"}
    | {f"h{level}" for level in range(1, 7)}
)


class _Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open = 0
        self.misnested: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in NOT_IN_PARAGRAPH and self.open:
            self.misnested.append(tag)
        if tag == "p":
            self.open += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.open -= 1


def misnested_in_paragraphs(html: str) -> list[str]:
    """Block elements the markup puts inside a <p>."""
    parser = _Paragraphs()
    parser.feed(html)
    return parser.misnested
