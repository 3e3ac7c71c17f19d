"""More lines in ``/healthz`` from apps that build on articles (the proxy purges, for one), without
articles importing them.

``register_check("purges", function)`` at an app's ``ready()``; ``function()`` returns
``(status, healthy)``: the text shown under its name, and whether all is well. An unhealthy check
makes the report's status "degraded" but keeps the answer 200: load balancers and Varnish probe
``/healthz`` to decide whether a server may take readers, and only the database decides that.
"""

_checks = {}


def register_check(name, function):
    _checks[name] = function


def run_checks():
    """Each registered check's answer, by name: {name: (status, healthy)}."""
    return {name: function() for name, function in _checks.items()}
