"""Forms of the evidence methods as records (`methods.py`)."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from accounts.forms import SignatureForm
from portfolios.enums import WITNESS_DECLARATION_TEXT
from portfolios.methods import WITNESS_MAX_DAYS, WITNESS_MIN_DAYS
from portfolios.models import EnrolmentUnit
from qualifications.models import AssessmentCriterion

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DISCUSSION_ROWS = 6


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class _CriteriaForm(_Form):
    """A form that ticks criteria of the learner's current units."""

    criteria = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one criterion."},
    )

    def __init__(self, *args, enrolment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria"].queryset = (
            AssessmentCriterion.objects.filter(
                unit_id__in=EnrolmentUnit.objects.current()
                .filter(enrolment=enrolment)
                .values("unit_id")
            )
            .select_related("unit")
            .order_by("unit__code", "unit_id", "sort_key")
        )

    def criteria_by_unit(self) -> list[tuple]:
        """[(unit, [(criterion, ticked)])] for the page's grouped checkboxes."""
        ticked = {str(v) for v in (self["criteria"].value() or [])}
        groups: dict = {}
        for c in self.fields["criteria"].queryset:
            groups.setdefault(c.unit, []).append((c, str(c.pk) in ticked))
        return list(groups.items())


class ObservationForm(_CriteriaForm, SignatureForm):
    signature_help = "Your e-signature: the password you sign in with."

    title = forms.CharField(max_length=200, label="Brief title")
    observed = forms.CharField(label="What was observed", widget=forms.Textarea(attrs={"rows": 6}))
    place = forms.CharField(max_length=300, label="Where")
    observed_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        keys = ("title", "observed", "place", "observed_at", "criteria", "password", "code")
        return {key: data[key] for key in keys}


class DiscussionForm(_CriteriaForm):
    title = forms.CharField(max_length=200, label="Brief title")
    date = forms.DateField(widget=DATE_WIDGET, initial=timezone.localdate)
    audio = forms.FileField(
        label="Recording (optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*"}),
        help_text="An audio file of the discussion: MP3, M4A, WAV or OGG.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, DISCUSSION_ROWS + 1):
            self.fields[f"question_{n}"] = forms.CharField(
                label=f"Question {n}", required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"answer_{n}"] = forms.CharField(
                label=f"Answer {n}", required=False, widget=forms.Textarea(attrs={"rows": 3})
            )

    def rows(self) -> list[tuple]:
        return [(self[f"question_{n}"], self[f"answer_{n}"]) for n in range(1, DISCUSSION_ROWS + 1)]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "date": data["date"],
            "criteria": data["criteria"],
            "audio": data["audio"] or None,
            "entries": [
                (data[f"question_{n}"], data[f"answer_{n}"]) for n in range(1, DISCUSSION_ROWS + 1)
            ],
        }


class WitnessRequestForm(_CriteriaForm):
    witness_email = forms.EmailField(
        label="Witness's e-mail",
        help_text="A colleague or manager at the learner's workplace who saw the work.",
    )
    days = forms.IntegerField(
        label="The link works for (days)",
        min_value=WITNESS_MIN_DAYS,
        max_value=WITNESS_MAX_DAYS,
        initial=14,
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "witness_email": data["witness_email"],
            "days": data["days"],
            "criteria": data["criteria"],
        }


class WitnessTestimonyForm(_Form):
    """What the witness fills in: who they are, what they saw (overall and against each
    criterion shown), and their confirmation."""

    name = forms.CharField(max_length=200, label="Your full name")
    job_title = forms.CharField(max_length=200, label="Your job title")
    relationship = forms.CharField(
        max_length=300,
        label="Your relationship to the learner",
        help_text="For example: line manager for two years.",
    )
    text = forms.CharField(
        label="What you saw the learner do",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    confirm = forms.BooleanField(label=WITNESS_DECLARATION_TEXT)

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        self.fields["confirm"].error_messages["required"] = (
            "Tick the box to confirm this is your own true account."
        )
        for c in criteria:
            self.fields[f"criterion_{c.pk}"] = forms.CharField(
                label=f"{c.shown_number} {c.text}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def criterion_fields(self) -> list[tuple]:
        return [(c, self[f"criterion_{c.pk}"]) for c in self.criteria]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "job_title": data["job_title"],
            "relationship": data["relationship"],
            "text": data["text"],
            "statements": {c.pk: data[f"criterion_{c.pk}"] for c in self.criteria},
            "confirmed": data["confirm"],
        }


class VerificationForm(_Form):
    verified_on = forms.DateField(
        label="Seen and verified on", widget=DATE_WIDGET, initial=timezone.localdate
    )
    place = forms.CharField(max_length=300, label="At", help_text="Where you saw it.")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"verified_on": data["verified_on"], "place": data["place"]}
