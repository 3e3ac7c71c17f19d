from django.apps import AppConfig


class DistributionConfig(AppConfig):
    default = True
    name = "distribution"
    verbose_name = "Distribution"

    def ready(self):
        # Through articles' hooks and signals, so articles never imports this app: the ninjs address
        # in its API, and the WebSub pings and partners' webhooks queued when a story goes out,
        # changes or comes down.
        from distribution import api, signals
        from distribution.webhooks import receivers as webhooks_receivers

        api.register()
        signals.connect()
        webhooks_receivers.connect()
