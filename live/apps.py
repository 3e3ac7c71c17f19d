from django.apps import AppConfig


class LiveConfig(AppConfig):
    default = True
    name = "live"
    verbose_name = "Live coverage"

    def ready(self):
        # Through articles' hooks, so articles never imports this app: the stream on the story's
        # page and the front page (pages), its own cache scope (signals), the API's updates (api),
        # and the story form's live panel (admin).
        from live import api, pages, signals  # noqa: F401

        signals.connect()
        pages.register()
        api.register()
