from django.apps import AppConfig


class PhotosConfig(AppConfig):
    default = True
    name = "photos"
    verbose_name = "Picture desk"

    def ready(self):
        # The article form's lead-image inline, through articles' hook.
        from photos import lead_images  # noqa: F401
        # Stories' pictures on every page, feed and API, through articles.pictures.
        from photos import signals, story_pictures  # noqa: F401

        signals.connect()
