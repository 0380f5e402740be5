"""Forms of the catalogue's ownership pages: the catalogue editor role, and whose catalogue an
import goes into."""

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User
from qualifications.permissions import EDITOR_GROUP, is_catalogue_editor, owning_centres

SHARED = "shared"


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


class ImportOwnerForm(forms.Form):
    """Whose catalogue an import goes into: a centre admin's own centre (they choose when
    they run several), or, for staff and catalogue editors, the shared catalogue."""

    owner = forms.ChoiceField(label="Import into")

    def __init__(self, data=None, *args, user, **kwargs):
        choices = self._choices(user)
        if data is not None and "owner" not in data and len(choices) == 1:
            # One catalogue to import into: nothing to choose, and nothing to post.
            data = data.copy()
            data["owner"] = choices[0][0]
        super().__init__(data, *args, **kwargs)
        self.centres = {str(c.pk): c for c in owning_centres(user)}
        self.fields["owner"].choices = choices
        self.fields["owner"].error_messages["invalid_choice"] = (
            "You may import only into your own centre's catalogue"
            + (" or the shared one." if is_catalogue_editor(user) else ".")
        )
        if choices:
            self.fields["owner"].initial = choices[0][0]

    @staticmethod
    def _choices(user) -> list[tuple[str, str]]:
        choices = [(str(c.pk), f"{c.name}'s own catalogue") for c in owning_centres(user)]
        if is_catalogue_editor(user):
            choices.insert(0, (SHARED, "The shared catalogue"))
        return choices

    @property
    def has_choice(self) -> bool:
        return len(self.fields["owner"].choices) > 1

    @property
    def chosen_label(self) -> str:
        """Words for the catalogue the import goes into (the posted one, or the first)."""
        return dict(self.fields["owner"].choices).get(str(self["owner"].value()), "")

    def centre(self):
        """The centre the import belongs to; None for the shared catalogue."""
        return self.centres.get(self.cleaned_data["owner"])
