"""Whether a story's dek (standfirst) says again what its first paragraph says.

The plain-text importer draws the dek from the lede (DESIGN.md, "Plain-text format"), and an editor
may paste the opening sentence into the dek by hand. Lists show no lede, so the dek stays on cards,
in feeds and in the meta description; the article page prints the lede, so a dek drawn from it is
left out there: a reader never reads the same sentence twice. Worked out once, on save
(``Article.prepare_for_write``), from the stored HTML, and kept in ``Article.dek_repeats_lede``.
"""

import re
import unicodedata
from html.parser import HTMLParser

# Sentence punctuation, possibly inside a closing quote or bracket: `talks.` `"talks."` `(talks?)`.
_ENDS_LIKE_SENTENCE = re.compile(r"[.!?…][\"'”’»›)\]}]*$")
# Elements without an end tag: they open no level.
_VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


def repeats_lede(dek, body_html):
    """Return True when ``dek`` is drawn from the first paragraph of ``body_html``: the same text,
    its opening sentences (cut where a sentence ends), or its opening words cut at a word and
    followed by "…". Spacing and Unicode forms do not count; any other difference does, so a dek
    an editor wrote, even one that starts like the lede, is printed."""
    dek = _normalised(dek)
    if not dek:
        return False
    lede = _normalised(first_paragraph_text(body_html))
    if not lede:
        return False
    if dek == lede:
        return True
    if dek.endswith("…"):
        opening = dek[:-1].rstrip()
        return bool(opening) and _opens(lede, opening)
    return bool(_ENDS_LIKE_SENTENCE.search(dek)) and _opens(lede, dek)


def _opens(lede, opening):
    """Whether ``lede`` starts with ``opening`` and a space follows it (a whole word or sentence)."""
    return lede.startswith(opening) and lede[len(opening) : len(opening) + 1].isspace()


def _normalised(text):
    return " ".join(unicodedata.normalize("NFC", text or "").split())


class _Found(Exception):
    pass


class _FirstParagraph(HTMLParser):
    """The text of the first ``<p>`` with text at the top level of a body (not one in a quote or a
    list, nor one holding only a picture)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.inside = False
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        if tag == "p" and self.depth == 0:
            self.inside = True
        self.depth += 1

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        self.depth = max(0, self.depth - 1)
        if tag == "p" and self.inside and self.depth == 0:
            if "".join(self.parts).strip():
                raise _Found
            self.inside, self.parts = False, []  # a paragraph holding only a picture is no lede

    def handle_data(self, data):
        if self.inside:
            self.parts.append(data)


def first_paragraph_text(body_html):
    """Return the text of the first top-level paragraph of ``body_html`` that has any, or "".
    Reading stops at that paragraph's end, however long the body."""
    parser = _FirstParagraph()
    try:
        parser.feed(body_html or "")
        parser.close()
    except _Found:
        pass
    return "".join(parser.parts) if parser.inside else ""
