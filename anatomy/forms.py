from django import forms

from members.uploads import ImageField

from . import images
from .models import AuthorProfile, Illustration, Question


class QuestionForm(forms.ModelForm):
    # A field people never see; bots fill it in.
    website = forms.CharField(required=False, label="Leave this field empty", max_length=200)

    class Meta:
        model = Question
        fields = ["kind", "section", "message", "name", "email"]
        labels = {
            "kind": "This is a",
            "section": "Section (optional)",
            "message": "Your question, comment or typo",
            "name": "Your name (optional)",
            "email": "Your email (optional, if you would like an answer)",
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].widget = forms.Select(
            choices=[("", "The whole article")] + [(name, name) for _, name in sections]
        )

    def is_spam(self):
        return bool(self.cleaned_data.get("website"))


class IllustrationForm(forms.ModelForm):
    class Meta:
        model = Illustration
        fields = ["image", "alt_text", "caption", "position"]
        field_classes = {"image": ImageField}
        labels = {"alt_text": "Alt text (description of the image)"}
        error_messages = {
            "image": {"required": "Choose an image file to upload."},
            "alt_text": {
                "required": "Describe what the illustration shows, for readers who cannot see it. "
                "An illustration needs alt text.",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = (
            f"{images.limits()} Camera and location data are removed, and smaller copies are made for phones; "
            "an animation keeps its first frame only."
        )

    def clean(self):
        cleaned = super().clean()
        image = cleaned.get("image")
        if isinstance(image, images.CleanImage):  # a new upload, not the image already stored
            self.instance.width, self.instance.height = image.width, image.height
        return cleaned


class AuthorProfileForm(forms.ModelForm):
    class Meta:
        model = AuthorProfile
        fields = ["user", "display_name", "bio", "photo", "photo_alt"]
        field_classes = {"photo": ImageField}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("photo") and not cleaned.get("photo_alt"):
            self.add_error("photo_alt", "Describe the photo for readers who cannot see it.")
        return cleaned
