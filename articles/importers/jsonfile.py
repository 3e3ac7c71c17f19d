"""Our JSON format: what ``export_articles --format json`` writes (DESIGN.md, "Commands").

A file holds one article object or a list of them. An article has the keys of the Markdown front
matter (``articles.importers.fields.KEYS``) plus ``body``, the Markdown text::

    [
      {
        "title": "Blinken Arrives in Beijing",
        "slug": "blinken-arrives-in-beijing",
        "section": "Diplomacy",
        "authors": ["Ana Ruiz"],
        "status": "published",
        "published_at": "2023-06-18T01:30:00+00:00",
        "corrections": [{"date": "2023-06-19T10:00:00+00:00", "text": "…"}],
        "body": "The body, in Markdown.\\n"
      }
    ]

Only ``title`` is required. An article without ``source_id`` is matched on re-import by the file's
identity (``articles.import_sources``), and in a list also by its slug, or else its place there.
"""

import bisect
import json
import re
from json.scanner import py_make_scanner

from articles.importers import ImportProblem, ParsedFile
from articles.importers.fields import KEYS, Located, article_record, describe

SOURCE_NAME = "json"


def parse(path, text, name=None):
    """Return the ``ParsedFile`` for the JSON ``text`` read from ``path``: one record per article,
    and a problem for each article with a key that is unknown or wrong. ``name`` is the file's
    identity (by default its stem).

    Raises ``ImportProblem`` for malformed JSON (at the line the decoder stopped) and a file that
    is not an article object or a list of them.
    """
    data = _decode(path, text)
    if isinstance(data, Located):
        wrapped = [key for key, value in data.items() if isinstance(value, list) and key not in KEYS]
        if "title" not in data and wrapped:
            raise ImportProblem(
                path,
                data.line_of(wrapped[0]),
                f"the articles are in a list under '{wrapped[0]}'; the file must be one article "
                "object or a list of them",
            )
        items, single = [data], True
    elif isinstance(data, list):
        items, single = data, False
        if not items:
            raise ImportProblem(path, 1, "no articles: the list is empty")
    else:
        raise ImportProblem(path, 1, f"expected an article object or a list of them, not {describe(data)}")
    parsed = ParsedFile([])
    name = path.stem if name is None else name
    for number, item in enumerate(items, start=1):
        try:
            parsed.records.append(_record(path, name, item, number, single))
        except ImportProblem as problem:
            parsed.problems.append(problem.as_notice())
    return parsed


def _record(path, name, item, number, single):
    if not isinstance(item, Located):
        raise ImportProblem(path, 1, f"article {number} must be an object, not {describe(item)}")
    body = item.get("body", "")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise ImportProblem(path, item.line_of("body"), f"body must be text, not {describe(body)}")
    slug = item.get("slug")
    slug = slug.strip() if isinstance(slug, str) else ""
    own_id = name if single else f"{name}#{slug or number}"
    # Before issue 12: the slug, else the file name (and the place in the list).
    legacy_id = slug or (path.stem if single else f"{path.stem}-{number}")
    return article_record(
        path,
        item,
        source_name=SOURCE_NAME,
        default_source_id=own_id,
        legacy_source_id=legacy_id,
        extra_keys=("body",),
        body=body,
    )


def _decode(path, text):
    """Return the decoded JSON with every object a ``Located`` that knows its line and key lines."""
    newlines = [index for index, char in enumerate(text) if char == "\n"]

    def line_at(position):
        return bisect.bisect_left(newlines, position) + 1

    decoder = json.JSONDecoder()
    parse_object = decoder.parse_object

    def located_object(s_and_end, *args, **kwargs):
        obj, end = parse_object(s_and_end, *args, **kwargs)
        return _located(text, s_and_end[1] - 1, end, obj, line_at), end

    decoder.parse_object = located_object
    # The pure-Python scanner looks parse_object up on the decoder; the C one would not.
    decoder.scan_once = py_make_scanner(decoder)
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as error:
        # "Expecting value", "Invalid control character at": the column goes after either.
        where = f"column {error.colno}" if error.msg.endswith(" at") else f"at column {error.colno}"
        raise ImportProblem(path, error.lineno, f"malformed JSON: {error.msg} {where}") from None
    except RecursionError:
        raise ImportProblem(path, 1, "malformed JSON: nested too deeply") from None


def _located(text, start, end, obj, line_at):
    # Nested objects come out of the decoder first; a key inside one is not a key of this object.
    inner = [(value.start, value.end) for value in _nested(obj.values())]
    key_lines = {}
    for key in obj:
        pattern = re.compile(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:")
        for match in pattern.finditer(text, start, end):
            if not any(inner_start <= match.start() < inner_end for inner_start, inner_end in inner):
                key_lines[key] = line_at(match.start())
                break
    located = Located(obj, line=line_at(start), key_lines=key_lines)
    located.start, located.end = start, end
    return located


def _nested(values):
    for value in values:
        if isinstance(value, Located):
            yield value
        elif isinstance(value, list):
            yield from _nested(value)
