from django.apps import AppConfig


class PhotosConfig(AppConfig):
    default = True
    name = "photos"
    verbose_name = "Picture desk"

    def ready(self):
        # The article form's lead-image inline, through articles' hook.
        from photos import lead_images  # noqa: F401
