from django import forms

TEST_CARDS = [
    ("pm_card_visa", "4242 4242 4242 4242: a test card that succeeds"),
    ("pm_card_visa_chargeDeclined", "4000 0000 0000 0002: a test card that is declined"),
]


class TestCardForm(forms.Form):
    payment_method = forms.ChoiceField(
        label="Test card", choices=TEST_CARDS, widget=forms.RadioSelect, initial="pm_card_visa"
    )
