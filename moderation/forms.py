import datetime

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.enums import Role
from accounts.forms import SignatureForm
from moderation.enums import VACS_QUESTIONS, SampleOutcome, Vacs
from moderation.services import DecisionRequest, existing_plan
from moderation.vacs import VacsChecklist
from portfolios.enums import DecisionOutcome
from portfolios.models import Enrolment
from portfolios.selectors import people_at
from qualifications.models import EvidenceMethod, Qualification, Unit
from qualifications.permissions import usable_q

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class _Form(forms.Form):
    """Forms rendered with crispy's filters; no <form> tag of their own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


def _seen_field():
    return forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class _SignatureFields(_Form, SignatureForm):
    pass


# ---------------------------------------------------------------- tutors


class EvidenceDecisionForm(_Form):
    """The bulk decision: one outcome per criterion the item is mapped to, one date."""

    decided_on = forms.DateField(label="Date", widget=DATE_WIDGET)
    feedback = forms.CharField(
        label="Feedback for every criterion decided here",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Used where a criterion has no feedback of its own.",
    )

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].initial = timezone.localdate()
        self.rows = rows
        for row in rows:
            cid = row.criterion.pk
            self.fields[f"outcome_{cid}"] = forms.ChoiceField(
                choices=[("", "Not now"), *DecisionOutcome.choices],
                required=False,
                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                initial="",
            )
            self.fields[f"feedback_{cid}"] = forms.CharField(
                required=False,
                widget=forms.Textarea(
                    attrs={
                        "rows": 2,
                        "class": "form-control form-control-sm",
                        "placeholder": "Feedback on this criterion (needed for not yet met)",
                        "aria-label": f"Feedback on {row.criterion.shown_number}",
                    }
                ),
            )
            self.fields[f"seen_{cid}"] = _seen_field()
            self.fields[f"seen_{cid}"].initial = row.decision.pk if row.decision else None
            row.outcome_field = self[f"outcome_{cid}"]
            row.feedback_field = self[f"feedback_{cid}"]
            row.seen_field = self[f"seen_{cid}"]

    def clean(self):
        data = super().clean()
        shared = (data.get("feedback") or "").strip()
        requests = []
        for row in self.rows:
            cid = row.criterion.pk
            outcome = data.get(f"outcome_{cid}")
            if not outcome:
                continue
            if row.locked:
                self.add_error(None, f"{row.criterion.number}: its unit is signed off.")
                continue
            feedback = (data.get(f"feedback_{cid}") or "").strip() or shared
            if outcome == DecisionOutcome.NOT_YET_MET and not feedback:
                self.add_error(
                    f"feedback_{cid}", "Say what is missing: the learner sees this feedback."
                )
            requests.append(
                DecisionRequest(
                    criterion_id=cid,
                    outcome=outcome,
                    feedback=feedback,
                    seen_id=data.get(f"seen_{cid}"),
                )
            )
        if not requests and not self.errors:
            raise ValidationError("Choose met or not yet met for at least one criterion.")
        data["requests"] = requests
        return data

    def service_kwargs(self, evidence) -> dict:
        """For `services.criteria_decide`: every decision rests on this item."""
        return {
            "evidence": evidence,
            "decided_on": self.cleaned_data["decided_on"],
            "requests": self.cleaned_data["requests"],
        }


class AddCriteriaForm(_Form):
    criteria = forms.ModelMultipleChoiceField(
        queryset=None,
        label="Also covers",
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Criteria of the learner's units that this evidence also shows.",
    )

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria"].queryset = criteria
        self.fields["criteria"].label_from_instance = lambda c: (
            f"{c.unit.code or c.unit.title} {c.number} {c.text[:80]}"
        )


class CriterionDecisionForm(_Form):
    outcome = forms.ChoiceField(choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    decided_on = forms.DateField(label="Date", widget=DATE_WIDGET)
    feedback = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    seen = _seen_field()

    def __init__(self, *args, latest=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].initial = timezone.localdate()
        self.fields["seen"].initial = latest.pk if latest else None

    def clean(self):
        data = super().clean()
        if (
            data.get("outcome") == DecisionOutcome.NOT_YET_MET
            and not (data.get("feedback") or "").strip()
        ):
            self.add_error("feedback", "Say what is missing: the learner sees this feedback.")
        return data

    def service_kwargs(self, criterion) -> dict:
        """For `services.criteria_decide`."""
        data = self.cleaned_data
        return {
            "decided_on": data["decided_on"],
            "requests": [
                DecisionRequest(
                    criterion_id=criterion.pk,
                    outcome=data["outcome"],
                    feedback=data["feedback"],
                    seen_id=data["seen"],
                )
            ],
        }


class SignOffForm(_SignatureFields):
    comments = forms.CharField(
        label="Tutor comments", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    field_order = ["comments", "password", "code"]


class AcknowledgeForm(_Form):
    comment = forms.CharField(
        label="Your comment", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(
        label="I have read my tutor's decisions and comments on this unit."
    )


# ---------------------------------------------------------------- moderators


class SampleDecisionForm(_SignatureFields):
    outcome = forms.ChoiceField(
        label="Decision",
        choices=[
            (SampleOutcome.AGREED, "Agree with the tutor's assessment"),
            (SampleOutcome.REFERRED, "Refer back to the tutor"),
        ],
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    required_actions = forms.CharField(
        label="Actions required (for a referral)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    reopen_criteria = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Criteria to reopen",
        widget=forms.CheckboxSelectMultiple,
        help_text="The tutor must decide these again. A referral of a signed unit reopens the "
        "unit in any case.",
    )
    seen = _seen_field()
    field_order = [
        "outcome",
        "comments",
        "required_actions",
        "reopen_criteria",
        "password",
        "code",
    ]

    def __init__(self, *args, criteria, latest=None, vacs=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reopen_criteria"].queryset = criteria
        self.fields["reopen_criteria"].label_from_instance = lambda c: f"{c.number} {c.text}"
        self.fields["seen"].initial = latest.pk if latest else None
        # The internal moderator's VACS checklist: four yes/no answers, a note for each "no".
        self.vacs_rows = []
        if vacs:
            for name, label in Vacs.choices:
                self.fields[f"vacs_{name}"] = forms.TypedChoiceField(
                    label=label,
                    choices=[("yes", "Yes"), ("no", "No")],
                    coerce=lambda value: value == "yes",
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                    help_text=VACS_QUESTIONS[name],
                    error_messages={"required": f"Answer: is the evidence {label.lower()}?"},
                )
                self.fields[f"vacs_{name}_note"] = forms.CharField(
                    label=f"Why not {label.lower()}?",
                    required=False,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 1, "class": "form-control"}),
                )
                self.vacs_rows.append((self[f"vacs_{name}"], self[f"vacs_{name}_note"]))

    def clean(self):
        data = super().clean()
        referred = data.get("outcome") == SampleOutcome.REFERRED
        if referred and not (data.get("required_actions") or "").strip():
            self.add_error("required_actions", "Say what the tutor must do.")
        if not referred and data.get("reopen_criteria"):
            self.add_error("reopen_criteria", "Only a referral reopens criteria.")
        if self.vacs_rows and all(f"vacs_{name}" in data for name in Vacs.values):
            data["vacs"] = VacsChecklist(
                **{name: data[f"vacs_{name}"] for name in Vacs.values},
                notes={name: data.get(f"vacs_{name}_note") or "" for name in Vacs.values},
            )
            if data.get("outcome"):
                for field, message in data["vacs"].problems(data["outcome"]).items():
                    self.add_error(field, message)
        return data

    def service_kwargs(self) -> dict:
        """For `services.sample_decide`."""
        data = self.cleaned_data
        return {
            "vacs": data.get("vacs"),
            "outcome": data["outcome"],
            "comments": data["comments"],
            "required_actions": data["required_actions"],
            "reopen_criteria": list(data["reopen_criteria"]),
            "password": data["password"],
            "code": data["code"],
            "seen_id": data["seen"],
        }


class SamplingPlanForm(_Form):
    tutor = forms.ModelChoiceField(queryset=None)
    qualification = forms.ModelChoiceField(queryset=None)
    learner_rate = forms.IntegerField(
        label="Learners to sample (%)", min_value=0, max_value=100, initial=25
    )
    unit_rate = forms.IntegerField(
        label="Units to sample per learner (%)", min_value=0, max_value=100, initial=25
    )
    include_interim = forms.BooleanField(
        label="Interim samples (work in progress)", required=False, initial=True
    )
    include_summative = forms.BooleanField(
        label="Summative samples (signed units)", required=False, initial=True
    )
    new_tutor = forms.BooleanField(label="New tutor: sample every learner", required=False)
    new_units = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Units new to this tutor or the centre",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    risk_methods = forms.ModelMultipleChoiceField(
        queryset=EvidenceMethod.objects.all(),
        required=False,
        label="Assessment methods to watch",
        widget=forms.CheckboxSelectMultiple,
    )
    risk_learners = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Learners to watch",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    risk_locations = forms.CharField(
        label="Workplaces to watch",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, matched against where workplace evidence is kept.",
    )

    def __init__(self, *args, centre, moderator, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.centre, self.plan = centre, plan
        self.existing_plan = None  # the plan this one would duplicate, linked from the page
        self.fields["tutor"].queryset = people_at(centre, Role.TUTOR).exclude(pk=moderator.pk)
        in_use = Enrolment.objects.filter(centre=centre, qualification__isnull=False)
        usable = usable_q(centre)
        self.fields["qualification"].queryset = (
            Qualification.objects.filter(pk__in=in_use.values("qualification_id"))
            .filter(usable)
            .order_by("title")
        )
        self.fields["new_units"].queryset = (
            Unit.objects.filter(qualifications__in=in_use.values("qualification_id"))
            .filter(usable)
            .distinct()
            .order_by("code", "title")
        )
        self.fields["risk_learners"].queryset = people_at(centre, Role.LEARNER)

    @staticmethod
    def initial_for(plan) -> dict:
        if plan is None:
            return {}
        return {
            "tutor": plan.tutor_id,
            "qualification": plan.qualification_id,
            "learner_rate": plan.learner_rate,
            "unit_rate": plan.unit_rate,
            "include_interim": plan.include_interim,
            "include_summative": plan.include_summative,
            "new_tutor": plan.new_tutor,
            "new_units": list(plan.new_units.values_list("pk", flat=True)),
            "risk_methods": list(plan.risk_methods.values_list("pk", flat=True)),
            "risk_learners": list(plan.risk_learners.values_list("pk", flat=True)),
            "risk_locations": plan.risk_locations,
        }

    def clean(self):
        data = super().clean()
        if data.get("tutor") and data.get("qualification"):
            self.existing_plan = existing_plan(
                centre=self.centre,
                tutor=data["tutor"],
                qualification=data["qualification"],
                plan=self.plan,
            )
            if self.existing_plan is not None:
                raise ValidationError(
                    f"{data['tutor']} already has a plan for {data['qualification'].number} "
                    f"{data['qualification'].title}: change that plan instead."
                )
        return data

    def service_kwargs(self) -> dict:
        """For `services.plan_save`."""
        data = self.cleaned_data
        return {
            "tutor": data["tutor"],
            "qualification": data["qualification"],
            "learner_rate": data["learner_rate"],
            "unit_rate": data["unit_rate"],
            "include_interim": data["include_interim"],
            "include_summative": data["include_summative"],
            "new_tutor": data["new_tutor"],
            "new_units": list(data["new_units"]),
            "risk_methods": list(data["risk_methods"]),
            "risk_learners": list(data["risk_learners"]),
            "risk_locations": data["risk_locations"],
        }


class GrantForm(_Form):
    moderator = forms.ModelChoiceField(queryset=None, label="External moderator")
    starts_at = forms.DateTimeField(label="From", widget=DATETIME_WIDGET)
    ends_at = forms.DateTimeField(label="Until", widget=DATETIME_WIDGET)
    enrolments = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Learners",
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty to open the chosen units of every learner taking them.",
    )
    units = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Leave empty to open the chosen learners' whole portfolios.",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["starts_at"].initial = now
        self.fields["ends_at"].initial = now + datetime.timedelta(days=14)
        self.fields["moderator"].queryset = people_at(centre, Role.EXTERNAL_MODERATOR)
        self.fields["enrolments"].queryset = (
            Enrolment.objects.filter(centre=centre)
            .exclude(status="withdrawn")
            .select_related("learner", "qualification")
            .order_by("learner__last_name", "learner__first_name")
        )
        self.fields["enrolments"].label_from_instance = lambda e: (
            f"{e.learner} · {e.qualification.number if e.qualification_id else 'short course'}"
        )
        self.fields["units"].queryset = (
            Unit.objects.filter(enrolment_units__enrolment__centre=centre)
            .filter(usable_q(centre))
            .distinct()
            .order_by("code", "title")
        )

    def clean(self):
        data = super().clean()
        if not data.get("enrolments") and not data.get("units"):
            raise ValidationError("Choose the learners, the units, or both.")
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The access must end after it starts.")
        return data

    def service_kwargs(self) -> dict:
        """For `services.grant_create`."""
        data = self.cleaned_data
        return {
            "moderator": data["moderator"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "enrolments": list(data["enrolments"]),
            "units": list(data["units"]),
            "note": data["note"],
        }


class PlannedSamplesForm(_Form):
    """The planned sample date of each learner in a plan's sample (empty: not planned)."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            name = f"planned_{row.enrolment.pk}"
            self.fields[name] = forms.DateField(
                label=f"Planned sample date for {row.enrolment.learner}",
                required=False,
                widget=forms.DateInput(
                    attrs={"type": "date", "class": "form-control form-control-sm"},
                    format="%Y-%m-%d",
                ),
                initial=row.planned_on,
            )
            row.planned_field = self[name]

    def service_kwargs(self) -> dict:
        """For `services.planned_samples_save`: only the dates that changed."""
        return {
            "dates": {
                row.enrolment.pk: self.cleaned_data[f"planned_{row.enrolment.pk}"]
                for row in self.rows
                if self.cleaned_data[f"planned_{row.enrolment.pk}"] != row.planned_on
            }
        }
