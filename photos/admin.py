"""The picture desk in the admin: the library with thumbnails, adding a picture through the
library's checks, and setting its focal point by clicking it."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from articles.admin import RefreshesCardsOnce
from articles.models import Article
from photos.forms import TEXT_FIELDS, PhotoAddForm, PhotoChangeForm, PictureRows, SharedTextsForm
from photos.library import store_photos
from photos.models import Photo, Rendition
from photos.renditions import STANDARD, Spec, renditions

THUMBNAIL = Spec(320, "4x3")  # one of the standard renditions, made on upload
# The whole picture, uncropped, to click the focal point on: wide enough to aim, small enough to load fast.
PREVIEW = Spec(640)
FILE_FIELDS = ["format", "width", "height", "checksum", "uploaded_by", "uploaded_at"]


class LeadsAStory(admin.SimpleListFilter):
    """Pictures leading a story, or free ones: what the desk can reuse, and what it may delete."""

    title = "leads a story"
    parameter_name = "leads"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(leads__isnull=self.value() == "no").distinct()
        return queryset


@admin.register(Photo)
class PhotoAdmin(RefreshesCardsOnce, admin.ModelAdmin):
    list_display = ["thumbnail", "alt_text", "credit", "size", "uploaded_at"]
    list_display_links = ["thumbnail", "alt_text"]
    search_fields = ["alt_text", "caption", "credit", "source"]
    list_filter = [LeadsAStory, "format", "uploaded_by"]
    date_hierarchy = "uploaded_at"
    readonly_fields = ["focal_picture", *FILE_FIELDS]

    class Media:
        css = {"all": ["photos/focal.css"]}
        js = ["photos/focal.js"]

    def get_queryset(self, request):
        # Newest thumbnail first: after the focal point moves, the crop around the new point.
        thumbnails = Rendition.objects.filter(spec=THUMBNAIL.name, format="jpeg").order_by("-pk")
        return (
            super()
            .get_queryset(request)
            .select_related("uploaded_by")
            .prefetch_related(Prefetch("renditions", queryset=thumbnails, to_attr="thumbnails"))
        )

    def get_urls(self):
        several = self.admin_site.admin_view(self.add_several_view)
        return [path("add-several/", several, name="photos_photo_add_several"), *super().get_urls()]

    def add_several_view(self, request):
        """Several pictures in one go: a row each (file, alt text, caption), one credit and licence
        for all. All or nothing, so an editor fixes the rows shown in error and sends again."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
        shared = SharedTextsForm(data, prefix="shared")
        rows = PictureRows(data, files, prefix="rows")
        if data is not None and shared.is_valid() and rows.is_valid():
            try:
                photos = store_photos(rows.filled(), **shared.cleaned_data, by=request.user)
            except ValidationError as refusal:
                shared.add_error(None, refusal)
            else:
                for photo in photos:
                    self.log_addition(request, photo, [{"added": {}}])
                added = "1 picture was" if len(photos) == 1 else f"{len(photos)} pictures were"
                self.message_user(request, f"{added} added.", messages.SUCCESS)
                changelist = reverse(f"{self.admin_site.name}:photos_photo_changelist")
                return redirect(f"{changelist}?id__in={','.join(str(photo.pk) for photo in photos)}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Add several pictures",
            "shared": shared,
            "rows": rows,
            "media": self.media + rows.media,
        }
        return TemplateResponse(request, "admin/photos/photo/add_several.html", context)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["upload", *TEXT_FIELDS]})]
        return [
            (None, {"fields": TEXT_FIELDS}),
            ("Focal point", {"fields": ["focal_picture", "focal_x", "focal_y"]}),
            ("File", {"fields": FILE_FIELDS, "classes": ["collapse"]}),
        ]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = PhotoAddForm if obj is None else PhotoChangeForm
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user  # a fresh class per request, so this is not shared
        return form

    def get_deleted_objects(self, objs, request):
        # A picture a story's body shows (photo:ID) is kept, as one leading a story is (PROTECT):
        # the admin lists those stories as protected, on the delete page and the bulk action alike.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for photo in objs:
            for story in Article.objects.showing_picture(photo.pk).only("pk", "headline"):
                protected.append(format_html("Story: {} (its body shows photo:{})", story.headline, photo.pk))
        return deleted, counts, perms_needed, protected

    def save_model(self, request, obj, form, change):
        if not change:
            return  # the add form stored it through photos.library.add_photo
        super().save_model(request, obj, form, change)
        if {"focal_x", "focal_y"} & set(form.changed_data):
            # Crops around the new point, made now rather than on a reader's request; the old
            # renditions stay, so pages already cached keep working.
            renditions(obj, STANDARD)

    @admin.display(description="Picture")
    def thumbnail(self, photo):
        thumbnail = next(iter(photo.thumbnails), None)
        if thumbnail is None:
            return "—"
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="" loading="lazy" class="photo-thumbnail">',
            thumbnail.file.url,
            thumbnail.width // 2,
            thumbnail.height // 2,
        )

    @admin.display(description="Size")
    def size(self, photo):
        return f"{photo.width} × {photo.height}"

    @admin.display(description="Picture")
    def focal_picture(self, photo):
        preview = renditions(photo, [PREVIEW], ["jpeg"])[(PREVIEW.name, "jpeg")]
        return format_html(
            '<div class="focal-picker" data-x-input="id_focal_x" data-y-input="id_focal_y">'
            # The ratio keeps the click target its true shape while the picture loads (or if it fails).
            '<img src="{}" width="{}" height="{}" alt="{}" style="aspect-ratio: {} / {}">'
            '<span class="focal-marker" style="left: {}%; top: {}%" aria-hidden="true"></span></div>',
            preview.file.url,
            preview.width,
            preview.height,
            photo.alt_text,
            preview.width,
            preview.height,
            round(photo.focal_x * 100, 1),
            round(photo.focal_y * 100, 1),
        )
