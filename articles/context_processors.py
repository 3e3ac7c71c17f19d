from django.conf import settings
from django.utils.functional import SimpleLazyObject

from articles.models import Section


def navigation(request):
    # Lazy: the admin and error pages that never show the masthead run no query for it.
    return {
        "nav_sections": SimpleLazyObject(lambda: list(Section.objects.all())),
        "site_name": settings.NEWSROOM_SITE_NAME,
    }
