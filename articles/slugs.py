"""What a slug may hold: the one rule for every address, filter, API path and import that names one.

It is Django's ``validate_slug`` (ASCII letters, digits, hyphens and underscores), the rule our
models' SlugFields keep, so anything a reader or an import may send is checked as an editor's slug
is. Each use adds only its own length limit. tests/test_slug_rule.py holds every surface to it.
"""

import re

SLUG_CHARACTERS = "[-a-zA-Z0-9_]"
_SLUG = re.compile(f"{SLUG_CHARACTERS}+")


def slug_pattern(max_length=None):
    """The rule as regex text, unanchored: one to ``max_length`` (or any number of) slug characters.
    For URL converters and the API schema, which must state exactly what is checked."""
    return f"{SLUG_CHARACTERS}{{1,{max_length}}}" if max_length else f"{SLUG_CHARACTERS}+"


def is_slug(value, max_length=None):
    """True when ``value`` is a slug, and no longer than ``max_length`` when one is given."""
    return (max_length is None or len(value) <= max_length) and _SLUG.fullmatch(value) is not None


class SlugConverter:
    """The rule in a URL (registered by articles/urls.py): a path that holds no slug is the site's 404
    before any view or query runs."""

    regex = slug_pattern()

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
