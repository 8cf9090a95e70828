from django import forms

TEST_CARDS = [
    ("pm_card_visa", "4242 4242 4242 4242: a test card that succeeds"),
    ("pm_card_visa_chargeDeclined", "4000 0000 0000 0002: a test card that is declined"),
]


class TestCardForm(forms.Form):
    payment_method = forms.ChoiceField(
        label="Test card", choices=TEST_CARDS, widget=forms.RadioSelect, initial="pm_card_visa"
    )


class DeleteAccountForm(forms.Form):
    """Deleting an account can't be undone: the member proves it is them and says so in words."""

    CONFIRMATION = "delete my account"

    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    confirmation = forms.CharField(
        label=f"Type “{CONFIRMATION}” to confirm", widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password

    def clean_confirmation(self):
        typed = self.cleaned_data["confirmation"]
        if " ".join(typed.lower().split()) != self.CONFIRMATION:
            raise forms.ValidationError(f"Type “{self.CONFIRMATION}” exactly, or leave this page to keep your account.")
        return typed
