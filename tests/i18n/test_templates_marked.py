"""Every piece of text a person reads in a template is marked for translation.

Jinja constructs are blanked out, `{% trans %}` blocks removed, and what remains is parsed as
HTML: any text node or readable attribute (alt, title, placeholder, aria-label, value of a
button) that still holds letters was written in a template without being marked.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
READABLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description"}
LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
TRANS_BLOCK = re.compile(r"{%-?\s*trans\b.*?%}.*?{%-?\s*endtrans\s*-?%}", re.DOTALL)
COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
JINJA = re.compile(r"{{.*?}}|{%.*?%}", re.DOTALL)


class TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if value and (name in READABLE_ATTRIBUTES or (name == "value" and tag == "button")):
                self._check(value, f"<{tag} {name}=…>")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._check(data, "text")

    def _check(self, value: str, where: str) -> None:
        if LETTERS.search(value.replace("\x00", "")):
            self.found.append(f"{where}: {value.strip()[:60]!r}")


def unmarked_text(source: str) -> list[str]:
    source = COMMENT.sub("", source)
    source = TRANS_BLOCK.sub(" \x00 ", source)
    source = JINJA.sub(" \x00 ", source)
    finder = TextFinder()
    finder.feed(source)
    finder.close()
    return finder.found


def test_the_checker_catches_unmarked_text_and_accepts_marked_text():
    assert unmarked_text("<p>Hello</p>") == ["text: 'Hello'"]
    assert unmarked_text('<img alt="A tree" src="x">') == ["<img alt=…>: 'A tree'"]
    assert unmarked_text('<p>{{ _("Hello") }}</p><img alt="{{ _("A tree") }}">') == []
    assert unmarked_text("<p>{% trans %}Hello {{ name }}{% endtrans %}</p>") == []
    assert unmarked_text("<style>p { color: red }</style><p>{{ count }} · 42%</p>") == []
    assert unmarked_text("<details{% if x %} open{% endif %}><summary>More</summary></details>") == [
        "text: 'More'"
    ]


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_template_has_no_unmarked_text(template: Path):
    assert unmarked_text(template.read_text(encoding="utf-8")) == []


def unmarked_plain_text(source: str) -> list[str]:
    """For plain-text templates (e-mails): every line with letters outside Jinja is unmarked."""
    source = JINJA.sub(" ", TRANS_BLOCK.sub(" ", COMMENT.sub("", source)))
    return [line.strip() for line in source.splitlines() if LETTERS.search(line)]


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.txt")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_text_template_has_no_unmarked_text(template: Path):
    assert unmarked_plain_text(template.read_text(encoding="utf-8")) == []


def test_the_plain_text_checker_catches_unmarked_lines():
    assert unmarked_plain_text('{{ _("Hello") }}\nGoodbye\n{{ link }}') == ["Goodbye"]
