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
