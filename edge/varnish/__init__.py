"""The Varnish configuration Newsroom ships (``newsroom.vcl``), rendered for a deployment.

``newsroom.vcl`` is both the template and a working VCL for one Newsroom at 127.0.0.1:8000. What a
deployment changes sits between ``# BEGIN name`` and ``# END name`` lines: the backends, the addresses
allowed to purge, the cookies that make a request personal and, for a Varnish without
varnish-modules, how PURGE removes pages. ``render_vcl`` replaces those blocks; an operator may as well
edit them by hand.
"""

import ipaddress
import re
from pathlib import Path

TEMPLATE = Path(__file__).with_name("newsroom.vcl")
PURGE_MODES = ("xkey", "ban")

# Without varnish-modules: ban every object whose xkey header (the page's Surrogate-Key, copied in
# vcl_backend_response) holds one of the keys. The expression uses obj.* only, so Varnish's ban
# lurker clears the bans in the background. The regex is unquoted (std.ban would keep quotes as part
# of it), so it holds no space (which would end it): "[[:blank:]]", and "[.]" for a dot. A ban, like
# xkey.purge, is hard: grace does not serve a banned object.
_BAN_PURGE = """sub newsroom_purge {
    if (std.ban("obj.http.xkey ~ (^|[[:blank:]])("
            + regsuball(regsuball(regsuball(req.http.xkey-purge, "^ +| +$", ""), "[.]", "[.]"), " +", "|")
            + ")([[:blank:]]|$)")) {
        set req.http.X-Purged = "ban";
        return (synth(200, "Banned"));
    }
    return (synth(400, std.ban_error()));
}"""


def _block(text, name, body):
    pattern = re.compile(rf"(^# BEGIN {name}\n).*?(^# END {name}$)", re.S | re.M)
    if not pattern.search(text):
        raise ValueError(f"{TEMPLATE} has no '# BEGIN {name}' ... '# END {name}' block")
    return pattern.sub(lambda match: match.group(1) + body + match.group(2), text, count=1)


def _session_cookie_name():
    from django.conf import settings

    return settings.SESSION_COOKIE_NAME if settings.configured else "sessionid"


def vcl_text(backends, *, purgers=(), purge="xkey", personal_cookies=None):
    """The VCL for ``backends`` ([(host, port), ...], round-robin), with PURGE also allowed from
    ``purgers`` (addresses or networks such as "10.0.0.0/24"), purging by ``purge`` ("xkey" with
    varnish-modules, "ban" without) and passing requests that carry one of ``personal_cookies`` (by
    default Django's session cookie and its messages cookie). Raises ``ValueError`` on a bad value."""
    backends = list(backends)
    if not backends:
        raise ValueError("Varnish needs at least one backend")
    if purge not in PURGE_MODES:
        raise ValueError(f"purge must be one of {PURGE_MODES}, not {purge!r}")
    declarations, additions = [], []
    for number, (host, port) in enumerate(backends, 1):
        if not re.fullmatch(r"[A-Za-z0-9.:-]+", str(host)) or not 0 < int(port) < 65536:
            raise ValueError(f"not a backend address: {host}:{port}")
        declarations.append(
            f'backend newsroom{number} {{\n    .host = "{host}";\n    .port = "{int(port)}";\n'
            "    .probe = newsroom_health;\n    .connect_timeout = 1s;\n    .first_byte_timeout = 30s;\n}\n"
        )
        additions.append(f"    newsroom.add_backend(newsroom{number});\n")
    acl = []
    for entry in purgers:
        network = ipaddress.ip_network(entry, strict=False)
        address, _, length = str(network).partition("/")
        acl.append(f'    "{address}"/{length};\n')
    cookies = personal_cookies or (_session_cookie_name(), "messages")
    for name in cookies:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"not a cookie name: {name!r}")
    names = "|".join(re.escape(name) for name in cookies)

    text = TEMPLATE.read_text()
    text = _block(text, "BACKENDS", "".join(declarations))
    text = _block(text, "DIRECTOR", "".join(additions))
    text = _block(text, "PURGERS", "".join(acl))
    text = _block(
        text,
        "PERSONAL COOKIES",
        f'    if (req.http.Cookie ~ "(^|;\\s*)({names})=") {{\n        return (pass);\n    }}\n',
    )
    if purge == "ban":
        text = _block(text, "IMPORTS", "import std;\nimport directors;\n")
        text = _block(text, "PURGE", _BAN_PURGE + "\n")
        # Without varnish-modules there is no var vmod to hold the latest purge's version: a fetch
        # under way during a purge can keep a page rendered before the change (README).
        text = _block(text, "IN-FLIGHT", "")
    return text


def render_vcl(destination, backends, **options):
    """Write the VCL for ``backends`` to ``destination`` (see ``vcl_text`` for the options); return
    its path."""
    destination = Path(destination)
    destination.write_text(vcl_text(backends, **options))
    return destination
