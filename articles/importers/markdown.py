"""Markdown files with YAML front matter (DESIGN.md, "Commands").

A file starts with a ``---`` line, then YAML ``key: value`` lines (the keys in
``articles.importers.fields.KEYS``; only ``title`` is required), then a ``---`` (or ``...``) line,
then the Markdown body::

    ---
    title: Blinken Arrives in Beijing
    section: Diplomacy
    authors: [Ana Ruiz, Wang Yi]
    published_at: 2023-06-18T09:30:00+08:00
    corrections:
      - date: 2023-06-19T10:00:00+00:00
        text: An earlier version misspelt the minister's name.
    ---
    The body, in Markdown.

The front matter is read with PyYAML's composer rather than a front-matter library, because only
the node tree knows on which line each key stands, and every message names its line. Values are
taken as written: ``title: 1984`` is the text "1984", not a number. The body is kept exactly as
written, less the blank lines between the front matter and its first line.
"""

import re

import yaml

from articles.importers import ImportProblem, line_at, refuse_control_characters
from articles.importers.fields import Located, article_record, label
from articles.plain_text import CONTROL_CHARACTERS

SOURCE_NAME = "markdown"
_OPENER = "---"
_CLOSERS = ("---", "...")
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_TRUE = {"yes", "true", "on", "y"}
# A top-level key of the front matter, at the start of its line.
_KEY_LINE = re.compile(r"([A-Za-z_][\w-]*)\s*:")


def parse(path, text, name=None):
    """Return the ``ArticleRecord`` for the Markdown ``text`` read from ``path``.

    The source id is the front matter's ``source_id``, or else ``name``, the file's identity (by
    default its stem). Raises ``ImportProblem`` for a file without front matter, malformed YAML,
    front matter that is not ``key: value`` lines, any key that is unknown, of the wrong type or
    out of range, and a control character anywhere in the file.
    """
    _refuse_control_characters(path, text)
    front_matter, body = _split(path, text)
    fields = _front_matter_fields(path, front_matter)
    record = article_record(
        path,
        fields,
        source_name=SOURCE_NAME,
        default_source_id=path.stem if name is None else name,
        legacy_source_id=path.stem,
        body=body,
    )
    record.line = 1  # the article is the whole file
    return record


def _refuse_control_characters(path, text):
    """Raise ``ImportProblem`` at the first control character written into the file, naming the
    front matter key it is under, or the body. Checked before anything else: YAML would call it
    malformed, and Python splits lines at a vertical tab. (One written as an escape, "\\v", is
    found by ``article_record``.)"""
    match = CONTROL_CHARACTERS.search(text)
    if match is None:
        return
    line = line_at(text, match.start())
    lines = text.split("\n")
    closer = next(
        (number for number, content in enumerate(lines[1:], start=2) if content.rstrip() in _CLOSERS),
        len(lines) + 1,
    )
    what = "body"
    if lines[0].rstrip() == _OPENER and line < closer:
        keys = (_KEY_LINE.match(content) for content in reversed(lines[1:line]))
        key = next((found.group(1) for found in keys if found), None)
        what = label(key) if key else "front matter"
    refuse_control_characters(path, line, what, match.group())


def _split(path, text):
    """Return ``(front matter text, body)``; the front matter's first line is line 2 of the file."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != _OPENER:
        raise ImportProblem(
            path, 1, "no front matter: a Markdown article starts with a '---' line, then 'title: …'"
        )
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip() in _CLOSERS:
            body_lines = lines[number + 1 :]
            while body_lines and not body_lines[0].strip():
                body_lines.pop(0)
            return "".join(lines[1:number]), "".join(body_lines)
    raise ImportProblem(path, 1, "the front matter is not closed: no '---' line after it")


def _front_matter_fields(path, front_matter):
    """Return the front matter as a ``Located`` mapping, with file line numbers."""
    try:
        try:
            # The C loader is several times faster; on an error the pure-Python loader reads the
            # text again, so a reader always gets the same wording.
            node = yaml.compose(front_matter, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            node = _compose_with_messages(path, front_matter)
        return _fields_of(path, node)
    except RecursionError:
        # Lists in lists thousands deep: the composer and the conversion both recurse.
        raise ImportProblem(path, 2, "malformed front matter: nested too deeply") from None


def _fields_of(path, node):
    if node is None:
        raise ImportProblem(path, 2, "the front matter is empty; it needs at least a title")
    if not isinstance(node, yaml.MappingNode):
        what = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        raise ImportProblem(
            path, _file_line(node.start_mark), f"the front matter must be 'key: value' lines, not {what}"
        )
    return _Converter(path).value(node)


def _compose_with_messages(path, front_matter):
    """Parse with the pure-Python loader, turning its error into ``ImportProblem``."""
    try:
        return yaml.compose(front_matter, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = _file_line(mark) if mark else 2
        reason = " ".join(filter(None, [error.context, error.problem]))
        raise ImportProblem(path, line, f"malformed front matter: {reason}") from None
    except yaml.YAMLError as error:
        raise ImportProblem(path, 2, f"malformed front matter: {error}") from None


def _file_line(mark):
    # The YAML starts on the line after the opening '---'; marks count from 0.
    return mark.line + 2


class _Converter:
    """YAML nodes to plain values: mappings become ``Located``, scalars their text as written
    (or None and True/False for YAML's null and booleans)."""

    def __init__(self, path):
        self.path = path
        self.seen = set()

    def value(self, node):
        # An alias is the same node object met twice; expanding it could blow up (a "billion
        # laughs" file), and front matter has no use for it.
        if id(node) in self.seen:
            raise ImportProblem(
                self.path,
                _file_line(node.start_mark),
                "YAML anchors and aliases (&name, *name) are not used here",
            )
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item) for item in node.value]
        if node.tag == _NULL:
            return None
        if node.tag == _BOOL:
            return node.value.lower() in _TRUE
        return node.value

    def mapping(self, node):
        result = Located(line=_file_line(node.start_mark))
        for key_node, value_node in node.value:
            line = _file_line(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                raise ImportProblem(self.path, line, "a key must be a plain name, like 'title'")
            key = key_node.value
            if key in result:
                raise ImportProblem(
                    self.path, line, f"key '{key}' appears twice (first on line {result.key_lines[key]})"
                )
            result.key_lines[key] = line
            result[key] = self.value(value_node)
        return result
