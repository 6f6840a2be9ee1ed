"""HTML to plain text for mail bodies and rich-text form fields (never returns markup)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .text import clean_text

# Content of these elements is never shown to a reader (or is code): drop it entirely.
_SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template", "iframe",
                      "object", "embed", "svg", "math", "select", "xml"})
_BLOCKS = frozenset({"div", "ul", "ol", "dl", "dt", "dd", "table", "tr", "thead", "tbody",
                     "tfoot", "section", "article", "header", "footer", "nav", "aside", "main",
                     "address", "form", "fieldset", "figure", "figcaption", "center", "caption",
                     "body", "html"})
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "hr"})
_CELLS = frozenset({"td", "th"})
_WS_RE = re.compile(r"\s+")


class _Extractor(HTMLParser):
    """Collects visible text as (blockquote depth, line) pairs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self._cur: list[str] = []
        self._cur_depth = 0
        self._skip: list[str] = []
        self._quote_depth = 0
        self._pre = 0
        self._href: list[str | None] = []

    # --- tag handling -------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" and "head" in self._skip:
            self._skip.clear()  # an unclosed <head> must not swallow the whole body
        if self._skip:
            if tag in _SKIPPED:
                self._skip.append(tag)
            return
        if tag in _SKIPPED:
            self._skip.append(tag)
            return
        if tag == "br":
            self._end_line(force=True)
        elif tag == "li":
            self._end_line()
            self._text("- ")
        elif tag in _CELLS:
            self._text(" ")
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
        elif tag in _PARAGRAPHS or tag in _BLOCKS:
            self._end_line(blank=tag in _PARAGRAPHS)
            if tag == "blockquote":
                self._quote_depth += 1
            elif tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            return  # a self-closed <svg/> has no content and no end tag to wait for
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag in self._skip:
                # Pop up to the matching tag so a stray/unclosed inner tag cannot stick.
                while self._skip and self._skip.pop() != tag:
                    pass
            return
        if tag == "a" and self._href:
            self._link_target(self._href.pop())
        elif tag in _PARAGRAPHS or tag in _BLOCKS or tag == "li":
            if tag == "blockquote":
                self._end_line()
                self._quote_depth = max(0, self._quote_depth - 1)
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)
            self._end_line(blank=tag in _PARAGRAPHS)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            first, *rest = data.split("\n")
            self._text(first, raw=True)
            for line in rest:
                self._end_line(force=True)
                self._text(line, raw=True)
        else:
            self._text(_WS_RE.sub(" ", data))

    # --- output -------------------------------------------------------------------------
    def _text(self, text: str, *, raw: bool = False) -> None:
        if not self._cur:
            if not raw:
                text = text.lstrip()
            if not text:
                return
            self._cur_depth = self._quote_depth
        self._cur.append(text)

    def _end_line(self, *, force: bool = False, blank: bool = False) -> None:
        if self._cur or force:
            depth = self._cur_depth if self._cur else self._quote_depth
            self.lines.append((depth, "".join(self._cur).rstrip()))
            self._cur = []
        if blank and self.lines and self.lines[-1][1]:
            self.lines.append((self._quote_depth, ""))

    def _link_target(self, href: str | None) -> None:
        # Citizens paste links to videos/photos; keep the target when the text hides it.
        if href and href.lower().startswith(("http://", "https://")):
            shown = "".join(self._cur)
            if href not in shown and not any(href in line for _, line in self.lines[-3:]):
                self._text(f" ({href})")

    def result(self) -> str:
        self._end_line()
        return "\n".join(("> " * depth + line) if line else line for depth, line in self.lines)


def html_to_text(html: str) -> str:
    """Render HTML as readable plain text: script/style dropped, blocks and <br> as newlines,
    entities unescaped, <blockquote> as "> " lines.

    The result is text, not markup (a "<" in it is a literal character), so callers must still
    escape it when they put it into a web page.
    """
    parser = _Extractor()
    try:
        parser.feed(html)
        if parser.rawdata.lstrip().startswith("<"):
            # An unterminated tag or comment at the end ("<div", "<!--..."): close() would
            # hand it over as text, which would put markup into the output.
            parser.rawdata = ""
        parser.close()
    except (AssertionError, ValueError):
        # html.parser is lenient, but never let a pathological document kill a mail: keep
        # whatever text was collected before the failure.
        pass
    return clean_text(parser.result())
