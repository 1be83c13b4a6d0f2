"""HTML read as a browser reads it: elements and their text, whatever the markup around them.

A page passes whether its title is `<h1>Dune</h1>`, `<h1 class="title">\n  Dune\n</h1>` or
`<h1><span>Dune</span></h1>`, and `&amp;` or `&#38;` alike: the check compares the text a reader sees.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from pydantic import Field, field_validator, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed

from .request import OneRequest, show_body, status_problem

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
HIDDEN = {"head", "title", "script", "style", "template"}
# Elements that sit inside a line of text: their edges do not separate words; every other tag does.
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s",
          "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var"}


def squeeze(text: str) -> str:
    return " ".join(text.split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, list[str]]] = []
        self.elements: list[tuple[str, str]] = []  # (tag, text), in the order they close
        self.visible: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self._edge(tag)
        if tag not in VOID:
            self.open.append((tag, []))

    def handle_startendtag(self, tag, attrs) -> None:
        self._edge(tag)

    def _edge(self, tag: str) -> None:
        if tag not in INLINE:
            self.visible.append(" ")

    def handle_endtag(self, tag) -> None:
        self._edge(tag)
        if not any(t == tag for t, _ in self.open):
            return  # a stray end tag: browsers ignore it too
        while self.open:
            t, parts = self.open.pop()
            self.elements.append((t, squeeze("".join(parts))))
            if t == tag:
                break

    def handle_data(self, data) -> None:
        for _, parts in self.open:
            parts.append(data)
        if not any(t in HIDDEN for t, _ in self.open):
            self.visible.append(data)

    def finish(self) -> "_Reader":
        self.close()
        while self.open:
            t, parts = self.open.pop()
            self.elements.append((t, squeeze("".join(parts))))
        return self


def read_html(text: str) -> tuple[list[tuple[str, str]], str]:
    """(every element as (tag, its text with white space squeezed), the page's visible text, squeezed)."""
    reader = _Reader()
    reader.feed(text)
    reader.finish()
    return reader.elements, squeeze("".join(reader.visible))


def html_problem(text: str, elements: dict[str, str], text_contains: list[str]) -> str | None:
    """None when the page has, for each tag, an element of it reading the given text, and its visible
    text holds each of text_contains; else what is wrong, in a reader's words."""
    found, visible = read_html(text)
    for tag, wanted in elements.items():
        wanted = squeeze(str(wanted))
        texts = [t for name, t in found if name == tag.lower()]
        if wanted in texts:
            continue
        if any(tags in text for tags in re.findall(r"<[^<>]*>", wanted)):
            return (f"a < in the text of the <{tag}> went into the HTML as it is, so a browser reads it as "
                    f"markup: escape < as &lt; (and & as &amp;)")
        if "&" in wanted and html.unescape(wanted) in texts:
            return (f"an & in the text of the <{tag}> went into the HTML as it is, so a browser reads an "
                    f"entity there: escape & as &amp;")
        if not texts:
            return f"the page has no <{tag}> element"
        shown = ", ".join(repr(t if len(t) <= 80 else t[:80] + "...") for t in texts[:3])
        return f"no <{tag}> reads {wanted!r}: a browser reads {shown}"
    for piece in text_contains:
        if squeeze(str(piece)) not in visible:
            return f"the page's text does not show {squeeze(str(piece))!r}"
    return None


@register("http.html")
class Html(OneRequest):
    """An HTML page, read as a browser reads it: an element of a tag whose text is given; text shown on the page."""

    elements: dict[str, str] = Field(default_factory=dict, description="{tag: text}: an element of that tag "
                                     "reads that text (any attributes, nesting, white space, entity spelling).")
    text_contains: list[str] = Field(default_factory=list, description="Text the page shows (markup aside).")
    status: int | list[int] | None = None

    @field_validator("elements")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        for tag in value:
            if not tag.isalnum():
                raise ValueError(f"{tag!r} is not a tag name such as h1")
        return {tag.lower(): text for tag, text in value.items()}

    @model_validator(mode="after")
    def _something(self) -> "Html":
        if not self.elements and not self.text_contains:
            raise ValueError("give elements, text_contains, or both")
        return self

    def describe(self) -> str:
        return f"{self.method} {self.shown(self)} answers the expected page"

    def run(self, ctx: CheckContext) -> Outcome:
        response, url, evidence, no_answer = self.exchange(ctx)
        if no_answer is not None:
            return no_answer
        problem = status_problem(response, self.status) or html_problem(response.text, self.elements,
                                                                         self.text_contains)
        if problem:
            return failed(f"{self.method} {url}: {problem}. Try it: {evidence}",
                          expected={"elements": self.elements, "text_contains": self.text_contains},
                          found=show_body(response), evidence=evidence)
        return passed(f"{self.method} {url} answered the expected page", evidence=evidence)
