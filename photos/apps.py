from django.apps import AppConfig


class PhotosConfig(AppConfig):
    default = True
    name = "photos"
    verbose_name = "Picture desk"

    def ready(self):
        # Through articles' hooks, so articles never imports this app: the article form's lead-image
        # inline (lead_images), stories' pictures on every page, feed and API (story_pictures),
        # cached pages retired when a picture on them changes (signals), and pictures through
        # imports and exports (transfer).
        import photos.transfer  # noqa: F401  (imports and exports: articles.picture_files)
        from photos import lead_images, signals, story_pictures  # noqa: F401

        signals.connect()
