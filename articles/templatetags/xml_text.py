"""``{{ value|xml_text }}``: text as XML 1.0 can carry it, for the sitemaps' Django templates.

Control characters are refused on the way in (articles/plain_text.py); this keeps one row written
some other way from making a sitemap that no crawler can parse.
"""

from django import template

from articles.plain_text import strip_control_characters

register = template.Library()
register.filter("xml_text", strip_control_characters)
