"""The plain-text format of the desk's wire copy (DESIGN.md, "Plain-text format").

Blocks are separated by blank lines. The first block is the headline when it is one short line that
does not end like a sentence; later short one-line blocks are subheadings; everything else is a
paragraph. The body becomes Markdown in which only the subheadings are markup: anything in the text
that Markdown would read as syntax is escaped, so plain text stays plain.
"""

import re
from pathlib import Path

from articles.importers import ArticleRecord, ImportProblem, Notice, line_at, refuse_control_characters
from articles.plain_text import CONTROL_CHARACTERS

SOURCE_NAME = "plaintext"
HEADLINE_MAX_CHARS = 150
SUBHEADING_MAX_CHARS = 100
DRAWN_HEADLINE_MAX_CHARS = 100
DEK_MAX_CHARS = 300

_CLOSERS = "\"'”’»›)]}"
# Sentence punctuation, possibly inside a closing quote or bracket: `talks.` `"talks."` `(talks?)`
ENDS_LIKE_SENTENCE = re.compile(rf"[.!?…][{re.escape(_CLOSERS)}]*$")
_SENTENCE_END = re.compile(rf"[.!?…]+[{re.escape(_CLOSERS)}]*(?=\s|$)")
# A sentence starts with a capital, a digit or an opening quote/bracket, not a lower-case word.
_SENTENCE_START = re.compile(r"\s+[\"'“‘«(\[]*[A-Z0-9\u00C0-\u024F]")
# Words whose full stop does not end a sentence ("Mr. Blinken", "Jan. 5", "Acme Inc. said").
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "cmdr",
    "adm", "amb", "pres", "st", "jr", "sr", "mt", "ft", "no", "nos", "vol", "vs", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc", "corp", "co", "ltd", "dept",
    "univ", "approx",
})  # fmt: skip
# Initials and dotted abbreviations: "U.S", "U.N", "e.g", "J" (the final dot is the candidate end).
_INITIALS = re.compile(r"(?:[A-Za-z]\.)*[A-Za-z]")

# Inline syntax anywhere in a line: emphasis, code, links and images, autolinks and raw HTML,
# strikethrough, backslash escapes, and character references (`&amp;` must stay `&amp;`).
_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]<~])|&(?=#?\w+;)")
# Block syntax at the start of a paragraph: heading, quote, list or thematic break, ordered list.
_BLOCK_START = re.compile(r"^(?:([#>+\-=|])|(\d{1,9})([.)]))")
_SPACES = re.compile(r"[ \t]+")


def parse(path, text, name=None):
    """Return the ``ArticleRecord`` for the plain-text ``text`` read from ``path``.

    The source id is ``name``, the file's identity (by default its stem). A file without a headline
    block gets one drawn from its first sentence, is marked ``keep_as_draft`` and carries a
    warning. Raises ``ImportProblem`` when the file has no paragraph of story text, and at the line
    of the first control character (other than tab and line ends) in the file.
    """
    path = Path(path)
    _refuse_control_characters(path, text)
    blocks = _blocks(text)
    if not blocks:
        raise ImportProblem(path, 1, "file has only whitespace, no text")

    headline_line, first = blocks[0]
    warnings = []
    if len(first) == 1 and _is_headline(first[0]):
        headline = first[0]
        blocks = blocks[1:]
    else:
        headline = None

    body_parts, lede = [], None
    for _, lines in blocks:
        text_of_block = " ".join(lines)
        if len(lines) == 1 and _is_subheading(text_of_block):
            body_parts.append("## " + _escape_heading(text_of_block))
        else:
            lede = lede or text_of_block
            body_parts.append(_escape_paragraph(text_of_block))
    if lede is None:
        raise ImportProblem(path, headline_line, "no story text: the file has no paragraph, only headings")

    if headline is None:
        headline = draw_headline(lede)
        warnings.append(Notice(path, 1, "no headline; drawn from the first sentence, kept as a draft"))
    return ArticleRecord(
        path=path,
        source_name=SOURCE_NAME,
        source_id=path.stem if name is None else name,
        legacy_source_id=path.stem,
        headline=headline,
        dek=cut_dek(lede),
        body="\n\n".join(body_parts) + "\n",
        headline_line=headline_line,
        keep_as_draft=bool(warnings),
        warnings=warnings,
    )


def _refuse_control_characters(path, text):
    """Raise ``ImportProblem`` at the first control character in ``text``, naming the headline when
    it is in the headline block and the body otherwise. Checked on the file as written, before the
    blocks are cut: Python counts a vertical tab as a space and a line end, so it would vanish."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    match = CONTROL_CHARACTERS.search(text)
    if match is None:
        return
    line = line_at(text, match.start())
    lines = text.split("\n")
    first = next((number for number, content in enumerate(lines, start=1) if content.strip()), line)
    one_line = first == len(lines) or not lines[first].strip()
    what = "headline" if line == first and one_line and _is_headline(lines[first - 1].strip()) else "body"
    refuse_control_characters(path, line, what, match.group())


def draw_headline(lede):
    """Return a stand-in headline: ``lede``'s first sentence without its final punctuation, cut at a
    word boundary to at most ``DRAWN_HEADLINE_MAX_CHARS`` characters."""
    ends = sentence_ends(lede)
    sentence = lede[: ends[0]] if ends else lede
    # Drop the full stop but keep a closing quote or bracket, so `said "Go."` keeps its balance.
    sentence = re.sub(rf"[.!?…]+(?=[{re.escape(_CLOSERS)}]*$)", "", sentence)
    return _cut_at_word(sentence, DRAWN_HEADLINE_MAX_CHARS)


def cut_dek(lede):
    """Return the dek for ``lede``: the most whole sentences that fit in ``DEK_MAX_CHARS`` characters,
    or, when even the first sentence is longer, its words up to the limit followed by "…"."""
    if len(lede) <= DEK_MAX_CHARS:
        return lede
    fitting = [end for end in sentence_ends(lede) if end <= DEK_MAX_CHARS]
    if fitting:
        return lede[: fitting[-1]]
    return _cut_at_word(lede, DEK_MAX_CHARS - 1) + "…"


def sentence_ends(text):
    """Return the index just past each sentence's closing punctuation in ``text``.

    A full stop after an initial or a known abbreviation ("U.S. Secretary", "Mr. Wang") does not end
    a sentence, nor does punctuation followed by a lower-case word.
    """
    ends = []
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end < len(text) and not _SENTENCE_START.match(text, end):
            continue
        if match.group().startswith(".") and not match.group().startswith(".."):
            # The word before the dot; a short window keeps a huge paragraph linear, not quadratic.
            before = text[max(0, match.start() - 40) : match.start()].split()
            word = before[-1].lstrip(_CLOSERS + "\"'“‘«([") if before else ""
            if word.lower() in _ABBREVIATIONS or _INITIALS.fullmatch(word):
                continue
        ends.append(end)
    return ends


def _blocks(text):
    """Split ``text`` into ``(first line number, [cleaned lines])`` blocks at blank lines.

    Lines of only whitespace count as blank: they are invisible in the file.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks, current, start = [], [], 1
    for number, line in enumerate(lines, start=1):
        line = _clean(line)
        if line:
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _clean(line):
    # Leading spaces would make an indented code block; runs of spaces and tabs mean nothing in prose.
    return _SPACES.sub(" ", line).strip()


def _is_headline(line):
    return len(line) <= HEADLINE_MAX_CHARS and not ENDS_LIKE_SENTENCE.search(line)


def _is_subheading(text):
    return len(text) <= SUBHEADING_MAX_CHARS and not ENDS_LIKE_SENTENCE.search(text)


def _escape_inline(text):
    return _INLINE_SYNTAX.sub(lambda match: "\\" + (match.group(1) or "&"), text)


def _escape_paragraph(text):
    text = _escape_inline(text)
    # `1. ` would start a list and `1\. ` does not; `\#`, `\>`, `\-` likewise stay text.
    return _BLOCK_START.sub(_escape_block_start, text)


def _escape_block_start(match):
    if match.group(1):
        return "\\" + match.group(1)
    return f"{match.group(2)}\\{match.group(3)}"


def _escape_heading(text):
    text = _escape_inline(text)
    # A trailing `#` run would be read as the heading's closing sequence and dropped.
    return text[:-1] + "\\#" if text.endswith("#") else text


def _cut_at_word(text, limit):
    if len(text) <= limit:
        return text.rstrip(" ,;:–—-")
    cut = text[: limit + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else text[:limit]
    return cut.rstrip(" ,;:–—-")
