"""Forms of the catalogue's ownership pages."""

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User
from qualifications.permissions import EDITOR_GROUP


class EditorGrantForm(forms.Form):
    person = forms.CharField(
        label="Username or e-mail",
        max_length=254,
        help_text="The person's account: they may then change the shared catalogue.",
    )

    def clean_person(self):
        given = self.cleaned_data["person"].strip()
        matches = list(
            User.objects.filter(is_active=True).filter(username__iexact=given)[:2]
        ) or list(User.objects.filter(is_active=True, email__iexact=given)[:2])
        if not matches:
            raise ValidationError(f"No active account has the username or e-mail '{given}'.")
        if len(matches) > 1:
            raise ValidationError(f"More than one account uses {given}; give the username.")
        return matches[0]

    def service_kwargs(self) -> dict:
        """For `ownership.catalogue_editor_grant`."""
        return {"person": self.cleaned_data["person"]}


class EditorRevokeForm(forms.Form):
    person = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = User.objects.filter(groups__name=EDITOR_GROUP)
        self.fields["person"].error_messages["invalid_choice"] = (
            "That person is not a catalogue editor."
        )

    def service_kwargs(self) -> dict:
        """For `ownership.catalogue_editor_revoke`."""
        return {"person": self.cleaned_data["person"]}
