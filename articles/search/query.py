"""The reader's query: tidied (``clean_query``) and read with web-search rules (``parse_query``) into a
``ParsedQuery`` that writes itself in each database's syntax, safely: FTS5 strings, PostgreSQL tsquery."""

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import BadRequest

MAX_QUERY_LENGTH = 200
# A prefix shorter than this (``ab*``) would match a good part of the dictionary: it is read as a word.
MIN_PREFIX = 3

# Both tokenizers split words at anything that is not a letter or a digit.
_WORD = re.compile(r"[^\W_]+")

# PostgreSQL's English stop words (snowball's list): it drops them from queries and documents.
# Dropping them from unquoted terms here too keeps "the" from matching everything on SQLite.
_STOP_WORDS_TEXT = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the and
    but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not only own same
    so than too very s t can will just don should now"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


# The query ----------------------------------------------------------------------------------------


def clean_query(raw):
    """Return the reader's query tidied for searching and for showing back in the search box.

    Control, format and private-use characters go, runs of whitespace become one space. Raises
    BadRequest (the site's 400 page) when what is left is longer than MAX_QUERY_LENGTH.
    """
    kept = []
    for char in raw or "":
        category = unicodedata.category(char)
        if category == "Cc":
            kept.append(" ")  # tabs, newlines, NUL (which PostgreSQL refuses in text)
        elif category[0] != "C":
            kept.append(char)  # drops Cf (soft hyphens, bidi marks), Cs, Co and Cn
    text = " ".join(unicodedata.normalize("NFC", "".join(kept)).split())
    if len(text) > MAX_QUERY_LENGTH:
        raise BadRequest(
            f"A search can be at most {MAX_QUERY_LENGTH} characters long; this one has {len(text):,}."
        )
    return text


@dataclass(frozen=True)
class Term:
    """A word or "quoted phrase" of the query, perhaps -excluded."""

    text: str  # as typed, without quotes, for PostgreSQL's own parser
    words: tuple  # its letters-and-digits runs, for FTS5
    excluded: bool = False
    prefix: bool = False  # sanct*: its last word is a prefix

    def tsquery(self):
        """This term as a PostgreSQL tsquery expression, ``(sql, params)``. A prefix needs
        to_tsquery (websearch_to_tsquery has no prefix syntax); its input is built from the letters and
        digits runs only, each quoted, so nothing typed is read as tsquery syntax."""
        if not self.prefix:
            return "websearch_to_tsquery('english', %s)", [f'"{self.text}"']
        lexemes = " <-> ".join(f"'{word}'" for word in self.words)
        return "to_tsquery('english', %s)", [f"{lexemes}:*"]


@dataclass(frozen=True)
class ParsedQuery:
    """A cleaned query as alternatives (``or``), each a list of terms that must all match."""

    text: str
    alternatives: tuple = ()

    @property
    def has_terms(self):
        return bool(self.alternatives)

    @property
    def has_prefix(self):
        return any(term.prefix for terms in self.alternatives for term in terms)

    def tsquery(self):
        """The query as a PostgreSQL tsquery expression, ``(sql, params)``: websearch_to_tsquery of
        ``websearch()`` unless a term is a prefix, then the terms combined with && !! and ||."""
        if not self.has_prefix:
            return "websearch_to_tsquery('english', %s)", [self.websearch()]
        alternatives, params = [], []
        for terms in self.alternatives:
            parts = []
            for term in terms:
                sql, term_params = term.tsquery()
                parts.append(f"!!{sql}" if term.excluded else sql)
                params += term_params
            alternatives.append("(" + " && ".join(parts) + ")")
        return "(" + " || ".join(alternatives) + ")", params

    def websearch(self):
        """The query in websearch_to_tsquery syntax, every term quoted."""
        return " or ".join(
            " ".join(f'{"-" if term.excluded else ""}"{term.text}"' for term in terms)
            for terms in self.alternatives
        )

    def fts5(self):
        """The query in FTS5 syntax: every term a quoted string of plain words, so nothing a reader
        types can be read as FTS5 syntax (NEAR, *, ^, column filters) or make it fail."""
        alternatives = []
        for terms in self.alternatives:
            wanted = " AND ".join(_fts5_string(term) for term in terms if not term.excluded)
            unwanted = " OR ".join(_fts5_string(term) for term in terms if term.excluded)
            alternatives.append(f"({wanted}) NOT ({unwanted})" if unwanted else f"({wanted})")
        return " OR ".join(alternatives)


def _fts5_string(term):
    return '"' + " ".join(term.words) + '"' + (" *" if term.prefix else "")


def parse_query(text):
    """Read a cleaned query with web-search rules; return a ParsedQuery (never raises).

    Words must all match; "a quoted phrase" matches as a phrase (an unclosed quote runs to the end);
    -word or -"phrase" excludes; ``or`` separates alternatives; an unquoted word ending in ``*`` is a
    prefix (``sanct*``) when at least MIN_PREFIX letters long and not a stop word. Terms without
    letters or digits, stop words, a dangling ``or`` and alternatives made only of exclusions are
    dropped, so punctuation alone leaves nothing to search for.
    """
    alternatives, terms = [], []
    position, length = 0, len(text)
    while position < length:
        if text[position].isspace():
            position += 1
            continue
        excluded = text[position] == "-"
        if excluded:
            position += 1
        if position < length and text[position] == '"':
            end = text.find('"', position + 1)
            end = length if end == -1 else end
            chunk, quoted, position = text[position + 1 : end], True, end + 1
        else:
            end = position
            while end < length and not text[end].isspace() and text[end] != '"':
                end += 1
            chunk, quoted, position = text[position:end], False, end
        if chunk.lower() == "or" and not (quoted or excluded):
            alternatives.append(terms)
            terms = []
            continue
        words = tuple(_WORD.findall(chunk))
        prefix = (
            not quoted
            and chunk.endswith("*")
            and bool(words)
            and chunk.rstrip("*").endswith(words[-1])  # sanct*, not "sanct.*"
            and len(words[-1]) >= MIN_PREFIX
            and words[-1].lower() not in STOP_WORDS
        )
        if words and not all(word.lower() in STOP_WORDS for word in words):
            terms.append(Term(text=chunk, words=words, excluded=excluded, prefix=prefix))
    alternatives.append(terms)
    kept = tuple(tuple(terms) for terms in alternatives if any(not term.excluded for term in terms))
    return ParsedQuery(text=text, alternatives=kept)
