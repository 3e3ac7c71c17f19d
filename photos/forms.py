"""The picture desk's admin forms: adding a picture (through ``library.store_photo``, so every check
and the standard renditions happen) and editing what readers are told about it and its focal point."""

from django import forms
from django.core.exceptions import ValidationError

from photos.checks import ImageRefused, check_upload
from photos.library import store_photo
from photos.models import Photo

TEXT_FIELDS = ["alt_text", "caption", "credit", "source"]


class PhotoAddForm(forms.ModelForm):
    """A new picture: the file and its texts. The file is checked here, so a refusal is shown on the
    file field and nothing is stored; ``save`` stores it through the library as the uploader."""

    upload = forms.FileField(
        label="Picture",
        help_text="A JPEG, PNG, WebP or AVIF file. It cannot be replaced later: upload a new one instead.",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/avif"}),
    )
    user = None  # set per request by the admin (PhotoAdmin.get_form)

    class Meta:
        model = Photo
        fields = ["upload", *TEXT_FIELDS]

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        try:
            return check_upload(upload)  # read once: save() stores this checked picture
        except ImageRefused as refusal:
            raise ValidationError(refusal.messages, code="refused") from None

    def save(self, commit=True):
        data = self.cleaned_data
        self.instance = store_photo(
            data["upload"],
            alt_text=data["alt_text"],
            credit=data["credit"],
            caption=data["caption"],
            source=data["source"],
            by=self.user,
        )
        self.save_m2m = lambda: None  # no many-to-many fields; the admin calls it after saving
        return self.instance


class PhotoChangeForm(forms.ModelForm):
    """An existing picture: its texts and focal point, never the file."""

    class Meta:
        model = Photo
        fields = [*TEXT_FIELDS, "focal_x", "focal_y"]
        labels = {
            "focal_x": "Focal point, across",
            "focal_y": "Focal point, down",
        }
        help_texts = {
            "focal_x": "Share of the width from the left edge, 0 to 1. Click the picture to set both.",
            "focal_y": "Share of the height from the top edge, 0 to 1.",
        }
        widgets = {
            name: forms.NumberInput(attrs={"min": "0", "max": "1", "step": "0.001", "class": "focal-input"})
            for name in ("focal_x", "focal_y")
        }


# Adding several pictures at once: a row per picture (its file, alt text and caption), and the
# credit and licence given once for them all. Rows left empty are ignored; nothing is stored unless
# every filled row is right, so no picture is ever stored without its alt text.
SEVERAL_ROWS = 5
ACCEPTED_TYPES = "image/jpeg,image/png,image/webp,image/avif"


class SharedTextsForm(forms.Form):
    credit = Photo._meta.get_field("credit").formfield()
    source = Photo._meta.get_field("source").formfield()


class PictureRowForm(forms.Form):
    upload = forms.FileField(
        label="Picture", required=False, widget=forms.FileInput(attrs={"accept": ACCEPTED_TYPES})
    )
    alt_text = forms.CharField(
        label="Alt text", max_length=250, required=False, help_text="What the picture shows. Required."
    )
    caption = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 40}))

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload is None:
            self.add_error("upload", "Choose the picture for this row, or empty the row.")
        else:
            try:
                cleaned["checked"] = check_upload(upload)  # read once: stored as checked
            except ImageRefused as refusal:
                self.add_error("upload", ValidationError(refusal.messages, code="refused"))
        if not cleaned.get("alt_text", "").strip() and "alt_text" not in self.errors:
            self.add_error("alt_text", "Alt text is required: say what the picture shows.")
        return cleaned


class _PictureRows(forms.BaseFormSet):
    def clean(self):
        if not any(self.errors) and not any(form.has_changed() for form in self.forms):
            raise ValidationError("Choose at least one picture.", code="no_pictures")

    def filled(self):
        """The cleaned data of the rows the editor filled in."""
        return [form.cleaned_data for form in self.forms if form.has_changed()]


PictureRows = forms.formset_factory(
    PictureRowForm, formset=_PictureRows, extra=SEVERAL_ROWS, max_num=SEVERAL_ROWS, validate_max=True
)
