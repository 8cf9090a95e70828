from django import forms

from .models import Question


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
