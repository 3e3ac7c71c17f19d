"""Auto-tagging from the desk's controlled vocabulary: every tag's name and aliases, found as whole
words in an article's text.

    vocabulary = Vocabulary.load()                    # one query; build once per import
    vocabulary.tag_names_for(headline, dek, body)     # ["Antony Blinken", "China", "Uyghurs", ...]

How a phrase (a tag's name or one of its aliases) matches:

- Whole words only. Text is cut into words (runs of Unicode letters and digits) and punctuation
  marks, and a phrase matches a run of whole words: no ``Iran`` in ``Tirana``, no ``US`` in ``USB``.
- Case is ignored, except in a phrase written without lowercase letters (``US``, ``U.S.``, ``WHO``),
  which matches only in capitals, so the pronoun "us" and "who" are not topics. The price is an
  all-caps headline ("JOIN US") that does match; write ``Nato`` beside ``NATO`` to get both.
- Spaces, line breaks and dashes between words are all one separator (``US-China`` = ``US–China``
  = ``US China``, ``cyber-attacks`` = ``cyber attacks``); other punctuation must be there as
  written (``U.S.`` needs its dots). Curly and straight apostrophes are the same.
- Where phrases overlap, the one starting first wins, then the longest, and its words are not read
  again: "North Korea" is not also "Korea", "People's Republic of China" is not "Republic of China"
  (Taiwan's official name), "Xi'an" is not "Xi".
- An alias starting with ``!`` is an exception: a phrase that contains a name but means something
  else (``!trade-off`` under Trade, ``!Hunter Biden`` under Joe Biden). It matches like any phrase,
  so it shields its words, and gives its own tag nothing there.
- Web addresses are skipped (``www.iran.gov`` is not Iran).

Matching walks a trie of word sequences, so it costs about one dictionary lookup per word of text
whatever the size of the vocabulary. It is built for an English-language desk: text in scripts
written without spaces (Chinese, Japanese) is not cut into words.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from articles.models import Tag

DEFAULT_VOCABULARY = settings.BASE_DIR / "content" / "vocabulary.json"
EXCEPTION_MARK = "!"

# A web address (skipped), a word (letters and digits; underscore is Markdown, not a letter), or
# any other single mark that is not a space.
_TOKEN = re.compile(r"(?P<url>(?:[a-z][a-z0-9+.-]*://|www\.)\S+)|[^\W_]+|\S", re.IGNORECASE)
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SAME_MARK = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'", "`": "'"})
_END = ""  # the trie key holding a phrase's entries; never a token, as tokens are not empty


def tokenize(text):
    """The tokens of ``text`` as matching sees them: words and punctuation marks, dashes dropped."""
    text = unicodedata.normalize("NFKC", text).translate(_SAME_MARK)
    return [
        match.group()
        for match in _TOKEN.finditer(text)
        if not match.group("url") and match.group() not in _DASHES
    ]


def has_words(tokens):
    """Whether ``tokens`` hold a word, not only punctuation marks."""
    return any(token[0].isalnum() for token in tokens)


def parse_aliases(text):
    """A tag's ``aliases`` field as a list: one alias a line, stripped, blank lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def is_case_sensitive(phrase):
    """A phrase with capitals and no lowercase letters (``US``, ``U.S.``) matches only as written."""
    return any(c.isupper() for c in phrase) and not any(c.islower() for c in phrase)


@dataclass(frozen=True)
class _Entry:
    tag: int  # index into Vocabulary.tags
    exact: tuple | None  # the tokens as written, for a case-sensitive phrase
    exception: bool


class Vocabulary:
    """Every tag's name and aliases, ready to find in text. Build it once and reuse it."""

    def __init__(self, tags):
        """``tags``: Tag objects (or anything with ``name`` and ``aliases``), e.g. unsaved ones."""
        self.tags = list(tags)
        self._trie = {}
        for index, tag in enumerate(self.tags):
            phrases = [(tag.name, False)] + [
                (alias[1:].strip(), True) if alias.startswith(EXCEPTION_MARK) else (alias, False)
                for alias in parse_aliases(tag.aliases)
            ]
            for phrase, exception in phrases:
                tokens = tokenize(phrase)
                if has_words(tokens):  # a phrase of bare punctuation would match every "..."
                    exact = tuple(tokens) if is_case_sensitive(phrase) else None
                    self._add(tokens, _Entry(index, exact, exception))

    @classmethod
    def load(cls):
        """The vocabulary of every tag in the database, in one query."""
        return cls(Tag.objects.only("pk", "name", "slug", "aliases"))

    def _add(self, tokens, entry):
        node = self._trie
        for token in tokens:
            node = node.setdefault(token.casefold(), {})
        entries = node.setdefault(_END, [])
        if entry not in entries:
            entries.append(entry)

    def tags_for(self, *texts):
        """The tags whose name or an alias occurs in any of ``texts`` (headline, dek, body; None
        and empty ones are skipped), each once, in order of first appearance. A phrase never runs
        from one text into the next."""
        found = {}
        for text in texts:
            for index in self._matches(tokenize(text or "")):
                found.setdefault(index, self.tags[index])
        return list(found.values())

    def tag_names_for(self, *texts):
        """The names of ``tags_for(*texts)``: what ``article.tags.add()`` and importers take."""
        return [tag.name for tag in self.tags_for(*texts)]

    def _matches(self, tokens):
        """Tag indexes, left to right, from the longest phrase starting at each unclaimed word."""
        folded = [token.casefold() for token in tokens]
        start = 0
        while start < len(tokens):
            node, end, best = self._trie, start, None
            while end < len(tokens) and (node := node.get(folded[end])) is not None:
                end += 1
                accepted = [
                    entry
                    for entry in node.get(_END, ())
                    if entry.exact is None or entry.exact == tuple(tokens[start:end])
                ]
                if accepted:
                    best = end, accepted
            if best is None:
                start += 1
                continue
            start, accepted = best
            excepted = {entry.tag for entry in accepted if entry.exception}
            for entry in accepted:
                if not entry.exception and entry.tag not in excepted:
                    yield entry.tag


# The vocabulary file -------------------------------------------------------------------------------
# A JSON object of groups (people, places, topics...), each a list of {"name", "description",
# "aliases"}. The groups are for whoever edits the file; every entry becomes a tag.

_ENTRY_KEYS = {"name", "description", "aliases"}


class VocabularyError(Exception):
    """A vocabulary file that cannot be loaded; the message names the file and the entry."""


@dataclass
class VocabularyReport:
    """What ``load_vocabulary_file`` did, by tag name."""

    path: Path
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)

    def summary(self):
        return (
            f"Vocabulary {self.path}: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged."
        )


@dataclass
class _FileEntry:
    name: str
    description: str | None
    aliases: list | None


def load_vocabulary_file(path=DEFAULT_VOCABULARY):
    """Create the file's missing tags and bring the others' descriptions and aliases in line.

    Existing tags are found by name, ignoring case, and keep their name and slug. The file wins
    for what an entry gives (its aliases replace the tag's, so an alias taken out of the file goes);
    a description or aliases key left out leaves the tag's own alone. Running it twice changes
    nothing the second time. Returns a VocabularyReport; raises VocabularyError, with nothing
    written, for a missing, malformed or inconsistent file.
    """
    path = Path(path)
    entries = read_vocabulary_file(path)
    report = VocabularyReport(path)
    with transaction.atomic():
        existing = {}
        for tag in Tag.objects.order_by("pk"):
            existing.setdefault(tag.name.casefold(), tag)
        for entry in entries:
            tag = existing.get(entry.name.casefold())
            if tag is None:
                Tag.objects.create(
                    name=entry.name,
                    description=entry.description or "",
                    aliases="\n".join(entry.aliases or ()),
                )
                report.created.append(entry.name)
                continue
            changed = []
            if entry.description is not None and tag.description != entry.description:
                tag.description = entry.description
                changed.append("description")
            if entry.aliases is not None and parse_aliases(tag.aliases) != entry.aliases:
                tag.aliases = "\n".join(entry.aliases)
                changed.append("aliases")
            if changed:
                tag.save(update_fields=changed)
                report.updated.append(tag.name)
            else:
                report.unchanged.append(tag.name)
    return report


def read_vocabulary_file(path):
    """The entries of a vocabulary file, checked: each has a name; names are not repeated and no
    phrase (a name or an alias) belongs to two tags. Raises VocabularyError naming what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VocabularyError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise VocabularyError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise VocabularyError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None
    if not isinstance(data, dict) or not all(isinstance(group, list) for group in data.values()):
        raise VocabularyError(f"{path}: expected an object of groups, each a list of tags")
    entries, owners = [], {}
    for group, items in data.items():
        for position, item in enumerate(items):
            where = f"{path}: {group}[{position}]"
            entry = _check_entry(item, where)
            where = f"{where} ({entry.name})"
            if any(entry.name.casefold() == other.name.casefold() for other in entries):
                raise VocabularyError(f"{where}: {entry.name} is in the file twice")
            for phrase in [entry.name, *(entry.aliases or ())]:
                if phrase != entry.name and phrase.startswith(EXCEPTION_MARK):
                    continue  # an exception under one tag may well be another tag's alias
                tokens = tokenize(phrase)
                key = tuple(token.casefold() for token in tokens)
                if not has_words(tokens):
                    raise VocabularyError(f"{where}: “{phrase}” has no words in it")
                owner = owners.setdefault(key, entry.name)
                if owner != entry.name:
                    raise VocabularyError(f"{where}: “{phrase}” already means {owner}")
            entries.append(entry)
    return entries


def _check_entry(item, where):
    if not isinstance(item, dict):
        raise VocabularyError(f"{where}: expected an object with a name, a description and aliases")
    unknown = sorted(set(item) - _ENTRY_KEYS)
    if unknown:
        raise VocabularyError(f"{where}: unknown key “{unknown[0]}” (expected name, description, aliases)")
    name, description, aliases = item.get("name"), item.get("description"), item.get("aliases")
    if not isinstance(name, str) or not name.strip():
        raise VocabularyError(f"{where}: every tag needs a name")
    if len(name.strip()) > Tag._meta.get_field("name").max_length:
        raise VocabularyError(f"{where}: the name is longer than {Tag._meta.get_field('name').max_length}")
    if description is not None and not isinstance(description, str):
        raise VocabularyError(f"{where}: the description must be text")
    if aliases is not None and not (
        isinstance(aliases, list) and all(isinstance(alias, str) and alias.strip() for alias in aliases)
    ):
        raise VocabularyError(f"{where}: aliases must be a list of non-empty texts")
    if aliases is not None and any("\n" in alias for alias in aliases):
        raise VocabularyError(f"{where}: an alias cannot span lines")
    return _FileEntry(
        name=name.strip(),
        description=description.strip() if description is not None else None,
        aliases=_unique([alias.strip() for alias in aliases]) if aliases is not None else None,
    )


def _unique(items):
    return list(dict.fromkeys(items))
