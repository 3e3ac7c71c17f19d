from django.apps import AppConfig


class DistributionConfig(AppConfig):
    default = True
    name = "distribution"
    verbose_name = "Distribution"

    def ready(self):
        # Through articles' hooks, so articles never imports this app: the ninjs address in its API.
        from distribution import api

        api.register()
