from django.apps import AppConfig


class EdgeConfig(AppConfig):
    default = True
    name = "edge"
    verbose_name = "Caching proxies"

    def ready(self):
        # Through articles' signal and health registry, so articles never imports this app: when a
        # change retires pages, the caching proxies (and any CDN) are told; /healthz reports purges
        # that could not be delivered.
        from articles import caching, health
        from edge import purging, signals

        caching.pages_retired.connect(signals.on_pages_retired, dispatch_uid="edge.purging")
        health.register_check("purges", purging.health)
        health.register_check("replica", replica_health)


def replica_health():
    """The read replica (newsroom/replica.py), when there is one: reported, never a reason to take
    this server out, since reads fall back to the primary."""
    from newsroom.replica import replica_status

    status = replica_status()
    return status, status in ("off", "ok")
