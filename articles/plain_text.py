"""What text may hold before it is stored: no C0 control characters but tab, newline and return.

XML 1.0 cannot carry the other C0 controls (U+0000–U+001F) at all, so one vertical tab in a headline
would break every feed and sitemap the story appears in; PostgreSQL refuses NUL outright. Every way
in (admin forms, importers, model saves) cleans or refuses them with the functions here, and the XML
surfaces strip them again on the way out, so a row written some other way cannot break a feed.
"""

import re

# C0 controls except tab (\x09), newline (\x0a) and carriage return (\x0d); lone surrogates cannot
# be encoded as UTF-8 at all, so they are refused alongside.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def first_control_character(text):
    """The first forbidden character in ``text`` as ``U+000B``, or None when it is clean."""
    match = CONTROL_CHARACTERS.search(text or "")
    return f"U+{ord(match.group()):04X}" if match else None


def strip_control_characters(text):
    """``text`` without the forbidden characters (None and "" pass through unchanged)."""
    if not text or not CONTROL_CHARACTERS.search(text):
        return text  # the usual case: one scan, no copy of a whole story
    return CONTROL_CHARACTERS.sub("", text)


def strip_text_fields(instance):
    """Clean every text field of a model ``instance`` in place, before it is written."""
    from django.db import models

    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(instance, field.attname)
            if isinstance(value, str):
                setattr(instance, field.attname, strip_control_characters(value))
