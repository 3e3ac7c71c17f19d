"""The Jinja2 environment for the public site's pages.

Jinja2 renders the reader-facing templates in templates/jinja2/ (base.html, the error pages,
articles/ and includes/) in half the time the Django engine takes. Everything else (the admin and
its overrides, sitemaps, robots.txt, the templates Django and the apps bring) is the Django
engine's: the folder, not the name, says which engine a template belongs to (TEMPLATES in settings).

Autoescaping is on for every template, list_title.txt included: it is placed inside <title> and
attributes.
"""

from collections.abc import Iterable

import jinja2
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils.timezone import template_localtime

from articles.addresses import absolute_media, absolute_url


def url(name, *args, **kwargs):
    """``{{ url("articles:tag", "china") }}``: Django's {% url %}."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


def querystring(request, **updates):
    """Django's {% querystring %}: the request's query string with ``updates`` applied.

    A value of None removes the parameter, a list sets all its values, anything else replaces it;
    the other parameters are kept. Empty when there is nothing to show.
    """
    query_dict = request.GET
    params = query_dict.copy()
    for key, value in updates.items():
        if value is None:
            if key in params:
                del params[key]
        elif isinstance(value, Iterable) and not isinstance(value, str):
            params.setlist(key, value)
        else:
            params[key] = value
    if not params and not query_dict:
        return ""
    return f"?{params.urlencode()}"


def date(value, arg=None):
    """Django's |date, in the current time zone as the Django engine shows it."""
    value = template_localtime(value)
    if arg == "c" and hasattr(value, "isoformat"):
        # What Django's "c" format gives, without a format lookup: each card's <time datetime>.
        return value.isoformat()
    return defaultfilters.date(value, arg)


def environment(**options):
    options["autoescape"] = True
    env = jinja2.Environment(**options)
    env.globals.update(url=url, static=static, querystring=querystring)
    env.globals.update(absolute_url=absolute_url, absolute_media=absolute_media)
    env.filters.update(
        date=date,
        pluralize=defaultfilters.pluralize,
        truncatechars=defaultfilters.truncatechars,
    )
    return env
