from django.apps import AppConfig


class PhotosConfig(AppConfig):
    default = True
    name = "photos"
    verbose_name = "Picture desk"
