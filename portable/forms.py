from django import forms

from portable.plan import tutors_of


class _TutorField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class PackageUploadForm(forms.Form):
    package = forms.FileField(
        label="Portfolio package (.zip)",
        help_text="A package exported from this or another installation (export_portfolio).",
    )

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tutor"] = _TutorField(
            queryset=tutors_of(centre).order_by("last_name", "first_name"),
            help_text="The learner's tutor here.",
        )


class PackageConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=32)

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tutor"] = _TutorField(queryset=tutors_of(centre), widget=forms.HiddenInput)
