from crispy_forms.helper import FormHelper
from django import forms

from checklists import selectors
from checklists.enums import Layout


class QualificationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        learners = f"{obj.learner_count} learner{'s' if obj.learner_count != 1 else ''}"
        return f"{obj.number} {obj.title} ({learners})"


class CohortPrintForm(forms.Form):
    """Which qualification's learners to print, and on which form."""

    qualification = QualificationChoiceField(
        queryset=None, empty_label=None, help_text="Every learner who has not withdrawn."
    )
    layout = forms.ChoiceField(
        label="Form", choices=Layout.choices, initial=Layout.ACHIEVEMENT, widget=forms.RadioSelect
    )

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qualification"].queryset = selectors.cohort_qualifications(centre)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_layout(self):
        return Layout(self.cleaned_data["layout"])
