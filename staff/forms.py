from django import forms

from staff.twofactor import clean_code

SIX_DIGITS = "Enter the 6 digits your app shows, nothing else."


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        error_messages=dict.fromkeys(
            ("required", "max_length", "null_characters_not_allowed"), SIX_DIGITS
        ),
        help_text="The 6 digits your authenticator app shows now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = clean_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(SIX_DIGITS)
        return code
