from crispy_forms.helper import FormHelper
from django import forms

from centres.intake import MAX_BYTES


class IntakeUploadForm(forms.Form):
    file = forms.FileField(
        label="Class list",
        help_text=(
            "A .csv or .xlsx file with the columns name (or first_name and last_name), email, "
            "registration_number, qualification_number, units, tutor_email, start_date, "
            "planned_end_date."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB; split the class list.")
        return upload


class VersionMoveForm(forms.Form):
    """Which learners move to which version of a qualification. The choices are the centre's
    enrolments on the qualification's versions and the versions the admin may see, so a
    forged id of another centre's learner or of another qualification is refused here."""

    to = forms.ModelChoiceField(
        queryset=None, label="Move to version", empty_label=None, to_field_name="pk"
    )
    enrolments = forms.ModelMultipleChoiceField(
        queryset=None, label="Learners", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, versions, enrolments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = versions
        self.fields["to"].label_from_instance = lambda q: f"Version {q.version}: {q.title}"
        self.fields["enrolments"].queryset = enrolments
        self.fields["enrolments"].label_from_instance = lambda e: (
            f"{e.learner} (version {e.qualification.version})"
        )

    def service_kwargs(self) -> dict:
        return {
            "enrolments": list(self.cleaned_data["enrolments"]),
            "to_qualification": self.cleaned_data["to"],
        }
