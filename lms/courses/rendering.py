"""Markdown of course texts: rendered with markdown-it-py, sanitised with nh3, and checked.

Raw HTML is never passed through (markdown-it escapes it), and the validator refuses it, so
what authors write is what learners see. The highest heading of a text becomes <h3>, the
others keep their distance below it, because the lesson page owns <h1> and <h2>.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import nh3
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "p",
        "em",
        "strong",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "hr",
        "br",
        "h3",
        "h4",
        "h5",
        "h6",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
LINK_SCHEMES = frozenset({"https", "http", "mailto", "tel"})
# The lesson page owns <h1> and <h2>: the highest heading of a Markdown text becomes <h3>.
TOP_HEADING = 3

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
# A second parser that recognises everything, so the checker can name what would be refused.
_inspector = MarkdownIt("commonmark", {"html": True, "linkify": False})
_inspector.validateLink = lambda _url: True  # type: ignore[method-assign]

_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def _tokens(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _tokens(token.children)


def _unsanitised_html(text: str) -> str:
    tokens = _renderer.parse(text)
    headings = [token for token in tokens if token.type in ("heading_open", "heading_close")]
    if headings:
        shift = TOP_HEADING - min(int(token.tag[1]) for token in headings)
        for token in headings:
            token.tag = f"h{min(int(token.tag[1]) + shift, 6)}"
    return _renderer.renderer.render(tokens, _renderer.options, {})


def _sanitise(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(LINK_SCHEMES),
        link_rel="noopener",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML, as stored in the published content (`*_html` fields)."""
    return _sanitise(_unsanitised_html(text)).strip()


def plain_text(markup: str) -> str:
    """The text of an HTML fragment, for counting words."""
    return html.unescape(nh3.clean(markup, tags=set()))


def count_words(text: str) -> int:
    """Words as a reader meets them: runs of letters or digits, with inner apostrophes or hyphens.

    Combining marks (Arabic vowel signs and shadda, Latin accents when decomposed) belong to
    their word: they are dropped first so that they do not split it in two.
    """
    letters = "".join(ch for ch in unicodedata.normalize("NFC", text) if unicodedata.category(ch) != "Mn")
    return len(_WORD.findall(letters))


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


def _link_problem(url: str) -> str | None:
    cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
    scheme = urlsplit(cleaned).scheme.lower() if ":" in cleaned else ""
    if not scheme:
        return _(
            "relative link '%(url)s' will not work in the published course: use a full https:// address",
            url=_snippet(url),
        )
    if scheme not in LINK_SCHEMES:
        return _(
            "link '%(url)s' is not allowed: links may only use https, http, mailto or tel", url=_snippet(url)
        )
    return None


def markdown_problems(text: str) -> list[str]:
    """What in `text` would not reach learners as written: raw HTML, unsafe links, images."""
    problems: list[str] = []
    for token in _tokens(_inspector.parse(text)):
        if token.type in ("html_block", "html_inline"):
            problems.append(
                _(
                    "raw HTML is not allowed in Markdown (found '%(html)s'); use Markdown instead",
                    html=_snippet(token.content),
                )
            )
        elif token.type == "image":
            problems.append(_("images are not allowed inside Markdown: use an image block, with alt text"))
        elif token.type == "link_open":
            problem = _link_problem(str(token.attrs.get("href", "")))
            if problem:
                problems.append(problem)
    if not problems:
        markup = _unsanitised_html(text)
        cleaned = _sanitise(markup)
        if Counter(_TAG.findall(markup)) != Counter(_TAG.findall(cleaned)) or markup.count(
            " href="
        ) != cleaned.count(" href="):
            problems.append(_("part of this Markdown would be removed by the sanitiser; simplify it"))
    return problems
