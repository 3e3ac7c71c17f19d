from django.contrib import admin

from edge.models import Purge


@admin.register(Purge)
class PurgeAdmin(admin.ModelAdmin):
    """What was sent to the caching proxies, and what could not be: read-only, for operators."""

    list_display = ["created_at", "purger", "keys", "attempts", "delivered_at", "last_error"]
    list_filter = ["purger", ("delivered_at", admin.EmptyFieldListFilter)]
    search_fields = ["keys"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
