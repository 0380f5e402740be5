from crispy_forms.helper import FormHelper
from django import forms

from accounts.enums import Role


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
