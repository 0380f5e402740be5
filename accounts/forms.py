from crispy_forms.helper import FormHelper
from django import forms

from accounts.enums import TOKEN_LIFETIMES, Role, TokenScope


def password_field() -> forms.CharField:
    """The person's own password, asked again to confirm who acts."""
    return forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def code_field(**kwargs) -> forms.CharField:
    """A code from the person's authenticator app."""
    widget = forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"})
    return forms.CharField(max_length=10, widget=widget, **kwargs)


class SignatureForm(forms.Form):
    """The fields of an e-signature (a sign-off, a moderator's decision, an observation);
    `accounts.signature.signature_confirm` checks them. A form says what its signature
    records in `signature_help`."""

    signature_help = "Your e-signature: your name and the time are recorded with it."

    password = password_field()
    code = code_field(
        label="Code from your authenticator app",
        required=False,
        help_text="Only if you have set up two-factor sign-in: the code your app shows now.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = self.signature_help


class PersonForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(label="E-mail address")
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, initial=[Role.LEARNER]
    )
    send_invitation = forms.BooleanField(
        required=False,
        initial=True,
        help_text="E-mail a link to choose a password (new accounts only).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    action = forms.ChoiceField(choices=[("give", "Give"), ("take", "Take away")])


_CODE_WIDGET = forms.TextInput(
    attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
)


class TwoFactorSignInForm(forms.Form):
    """The second step of signing in: the app's code, or one of the recovery codes."""

    token = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
    )

    def service_kwargs(self) -> dict:
        return {"token": self.cleaned_data["token"]}


class TwoFactorEnrolForm(forms.Form):
    token = forms.CharField(
        label="Code from your app",
        max_length=10,
        widget=_CODE_WIDGET,
        help_text="The 6-digit code the app shows now, to prove it is set up.",
    )

    def service_kwargs(self) -> dict:
        return {"token": self.cleaned_data["token"]}


class TwoFactorRemoveForm(forms.Form):
    password = password_field()
    token = code_field(label="Code from your app")

    def service_kwargs(self) -> dict:
        return {"password": self.cleaned_data["password"], "token": self.cleaned_data["token"]}


class CentreTwoFactorForm(forms.Form):
    required = forms.BooleanField(
        label="Staff must sign in with a second factor",
        required=False,
        help_text="Tutors, moderators and centre admins here must set up an authenticator app "
        "before they can do anything else. Learners never need one.",
    )

    def service_kwargs(self) -> dict:
        return {"required": self.cleaned_data["required"]}


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What will use it, so you know which to revoke later."
    )
    scope = forms.ChoiceField(
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text="Read and write lets it add evidence and record decisions, as you could.",
    )
    days = forms.TypedChoiceField(
        label="Expires after",
        coerce=int,
        choices=[(d, f"{d} days") for d in TOKEN_LIFETIMES],
        initial=30,
    )

    def service_kwargs(self) -> dict:
        return {
            "name": self.cleaned_data["name"],
            "scope": self.cleaned_data["scope"],
            "days": self.cleaned_data["days"],
        }


class DigestForm(forms.Form):
    daily = forms.TypedChoiceField(
        label="E-mail me",
        choices=[("0", "for each notification"), ("1", "once a day, a summary")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
