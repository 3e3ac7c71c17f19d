"""Read a rendered HTML form the way a browser would submit it, so admin tests post real forms."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields = []
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
            elif kind not in {"submit", "button", "image", "file"}:
                self.fields.append((name, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            # name, selected value, first value, and for a multiple select every selected value
            self._select = [name, None, None, [] if "multiple" in attrs else None]
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select[2] is None:
                self._select[2] = value
            if "selected" in attrs:
                self._select[1] = value
                if self._select[3] is not None:
                    self._select[3].append(value)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea:
            # Browsers drop the one newline that follows <textarea>.
            name, value = self._textarea
            self.fields.append((name, value[1:] if value.startswith("\n") else value))
            self._textarea = None
        elif tag == "select" and self._select:
            name, selected, first, several = self._select
            if several is not None:  # a multiple select sends each selected option, maybe none
                self.fields.append((name, several))
            else:
                self.fields.append((name, selected if selected is not None else (first or "")))
            self._select = None


def form_data(html, form_id):
    """Return the fields ``form_id`` in ``html`` would submit, as a dict (last value wins; a
    ``<select multiple>`` gives the list of its selected values)."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return dict(reader.fields)
