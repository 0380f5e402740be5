from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.enums import Role
from portfolios.enums import DECLARATION_TEXT, EnrolmentStatus
from portfolios.models import EnrolmentUnit
from portfolios.record import locked_unit_ids
from portfolios.resumable import discard as discard_resumed
from portfolios.resumable import finished_file
from portfolios.selectors import evidence_methods_for, people_at
from portfolios.services import enrolment_units_check
from portfolios.uploads import clean_display_name
from portfolios.validators import (
    ACCEPT_ATTRIBUTE,
    max_file_bytes,
    max_files_per_post,
    validate_evidence_file,
    validate_upload_count,
)
from qualifications.models import AssessmentCriterion, Qualification, Unit
from qualifications.permissions import usable_q
from qualifications.rules import check_unit_choice

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The last field of every upload form. Browsers send fields in page order, so when it is
# missing the body was cut off on the way (a dropped connection) and the files are not whole.
UPLOAD_COMPLETE_FIELD = "upload_complete"


class _Form(forms.Form):
    """Forms rendered field by field with crispy's filters; no <form> tag of their own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


# ---------------------------------------------------------------- enrolment


class ProgrammeForm(_Form):
    """Step one of enrolling: a qualification, or a single unit as a short course."""

    qualification = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Choose a qualification…"
    )
    unit = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="or a single unit (short course)",
        empty_label="Choose a unit…",
    )

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        # The shared catalogue and the centre's own: never another centre's.
        usable = usable_q(centre)
        self.fields["qualification"].queryset = Qualification.objects.filter(usable).order_by(
            "title", "version"
        )
        self.fields["unit"].queryset = Unit.objects.filter(usable).order_by(
            "code", "title", "version"
        )

    def clean(self):
        data = super().clean()
        if bool(data.get("qualification")) == bool(data.get("unit")):
            raise ValidationError("Choose either a qualification or a single unit.")
        return data


class _EnrolmentFields(_Form):
    tutor = forms.ModelChoiceField(queryset=None)
    registration_number = forms.CharField(
        label="Awarding-body registration number", max_length=40, required=False
    )
    start_date = forms.DateField(widget=DATE_WIDGET)
    planned_end_date = forms.DateField(widget=DATE_WIDGET)
    units = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(
        self,
        *args,
        centre,
        qualification=None,
        unit=None,
        withdrawn_units=(),
        busy_unit_ids=(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.centre = centre
        # Withdrawn units still count for the rules of combination; they come back only by
        # being restored. Units holding work are marked so the admin knows they stay.
        self.withdrawn_units = list(withdrawn_units)
        self.busy_unit_ids = set(busy_unit_ids)
        self.qualification = qualification
        self.short_course_unit = unit
        self.combination_notes: list[str] = []
        self.fields["tutor"].queryset = people_at(centre, Role.TUTOR)
        if qualification is not None:
            self.fields["units"].queryset = qualification.units.filter(usable_q(centre))
        else:
            self.fields["units"].queryset = Unit.objects.filter(pk=unit.pk)
            self.fields["units"].initial = [unit.pk]
            self.fields["units"].widget = forms.MultipleHiddenInput()

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("planned_end_date")
        if start and end and end < start:
            self.add_error("planned_end_date", "The planned end is before the start.")
        units = list(data.get("units") or [])
        if self.qualification is not None:
            check = check_unit_choice(self.qualification, [*units, *self.withdrawn_units])
            for problem in check.problems:
                self.add_error("units", problem)
            self.combination_notes = check.notes
        elif [u.pk for u in units] != [self.short_course_unit.pk]:
            self.add_error("units", "A short-course enrolment is on exactly one unit.")
        return data

    def service_kwargs(self) -> dict:
        """For `services.enrolment_create` / `enrolment_update`."""
        data = self.cleaned_data
        kwargs = {
            name: data[name]
            for name in ("tutor", "registration_number", "start_date", "planned_end_date")
        }
        return kwargs | {"units": list(data["units"])}

    def combination(self, unit_ids=None):
        """The rules of combination checked against the ticked units (the form's, or
        `unit_ids` for the live check), withdrawn units included; None for a short course."""
        if self.qualification is None:
            return None
        if unit_ids is None:
            unit_ids = self["units"].value() or []
        ids = {int(v) for v in unit_ids if str(v).isdigit()}
        units = [u for u in self.fields["units"].queryset if u.pk in ids]
        return check_unit_choice(self.qualification, [*units, *self.withdrawn_units])

    def unit_groups(self):
        """The unit checkboxes grouped as the qualification's rules of combination group them."""
        if self.qualification is None:
            return []
        chosen = {str(v) for v in (self["units"].value() or [])}
        withdrawn = {u.pk for u in self.withdrawn_units}
        members = self.qualification.qualification_units.select_related("unit", "group").order_by(
            "group__position", "position"
        )
        groups = {}
        for member in members:
            group = groups.setdefault(member.group_id, {"group": member.group, "units": []})
            group["units"].append(
                {
                    "unit": member.unit,
                    "checked": str(member.unit_id) in chosen,
                    "withdrawn": member.unit_id in withdrawn,
                    "holds_work": member.unit_id in self.busy_unit_ids,
                }
            )
        return list(groups.values())


class EnrolmentForm(_EnrolmentFields):
    learner = forms.ModelChoiceField(queryset=None)
    field_order = ["learner", "tutor", "registration_number", "start_date", "planned_end_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = people_at(self.centre, Role.LEARNER)
        if self.qualification is not None and not self.is_bound:
            # Start with the mandatory units ticked: they are never optional.
            self.fields["units"].initial = list(
                self.qualification.qualification_units.filter(group__is_mandatory=True).values_list(
                    "unit_id", flat=True
                )
            )

    def service_kwargs(self) -> dict:
        return super().service_kwargs() | {
            "learner": self.cleaned_data["learner"],
            "qualification": self.qualification,
        }


class EnrolmentEditForm(_EnrolmentFields):
    status = forms.ChoiceField(choices=EnrolmentStatus.choices)

    def __init__(self, *args, enrolment, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolment = enrolment

    @classmethod
    def for_enrolment(cls, data, *, enrolment, units, withdrawn_units, busy_unit_ids):
        """The form filled from the enrolment; `units` are the ones it takes now."""
        initial = {
            "tutor": enrolment.tutor_id,
            "registration_number": enrolment.registration_number,
            "start_date": enrolment.start_date,
            "planned_end_date": enrolment.planned_end_date,
            "status": enrolment.status,
            "units": [u.pk for u in units],
        }
        return cls(
            data,
            enrolment=enrolment,
            initial=initial,
            centre=enrolment.centre,
            qualification=enrolment.qualification,
            unit=None if enrolment.qualification_id else units[0],
            withdrawn_units=withdrawn_units,
            busy_unit_ids=busy_unit_ids,
        )

    def service_kwargs(self) -> dict:
        return super().service_kwargs() | {"status": self.cleaned_data["status"]}

    def clean(self):
        # A unit holding work is withdrawn with a reason, never unticked. The units are read
        # first: a problem with the rules of combination takes the field out of cleaned_data.
        units = self.cleaned_data.get("units")
        data = super().clean()
        if units is not None:
            for problem in enrolment_units_check(enrolment=self.enrolment, units=units):
                self.add_error("units", problem)
        return data


class UnitReasonForm(_Form):
    """Why a unit is withdrawn from an enrolment, or restored to it: kept in the record."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Kept in the enrolment's history and the audit trail.",
    )


# ---------------------------------------------------------------- evidence


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by `clean_files` with its own message."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("allow_empty_file", True)
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class _TokensField(forms.MultipleChoiceField):
    """Tokens of resumable uploads; each is looked up by the form, not against choices."""

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class EvidenceForm(_Form):
    title = forms.CharField(label="Brief title", max_length=200)
    method = forms.ModelChoiceField(queryset=None, label="Evidence method")
    date = forms.DateField(widget=DATE_WIDGET, help_text="When you did the work.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What this shows and how it was produced.",
    )
    text = forms.CharField(
        label="Written account",
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text="Write a reflective account here instead of, or as well as, uploading files.",
    )
    workplace_location = forms.CharField(
        label="Kept in the workplace at",
        max_length=500,
        required=False,
        help_text=(
            "For workplace documents that stay where they are: say where they are kept "
            "(e.g. 'Customer records, CRM, case 4411, seen by the assessor')."
        ),
    )
    files = MultipleFileField(label="Files")
    # Tokens of files sent ahead in resumable pieces (portfolios/resumable_views.py): the
    # form carries the token, the file waits finished and checked on the server.
    uploaded = _TokensField(widget=forms.MultipleHiddenInput, required=False)
    # "Add evidence" opened from a criterion (`?criterion=<id>`, repeated) starts the item
    # mapped to it; the learner sees it ticked on the next page.
    criteria = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.MultipleHiddenInput, required=False
    )
    upload_complete = forms.CharField(widget=forms.HiddenInput, initial="1", required=False)

    def __init__(self, *args, enrolment, user, evidence=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolment = enrolment
        self.user = user
        self.resumed = []
        self.resumed_gone = False
        self.evidence = evidence
        self.fields["criteria"].queryset = AssessmentCriterion.objects.filter(
            unit_id__in=EnrolmentUnit.objects.current()
            .filter(enrolment=enrolment)
            .values("unit_id")
        ).select_related("unit")
        if evidence is not None:
            del self.fields["criteria"]
        self.fields["method"].queryset = evidence_methods_for(user, enrolment)
        self.fields["date"].initial = timezone.localdate()
        self.fields["files"].widget.attrs.update(
            {
                "class": "form-control",
                "accept": ACCEPT_ATTRIBUTE,
                "data-max-bytes": max_file_bytes(),
                "data-max-files": max_files_per_post(),
                "aria-describedby": "files-help",
            }
        )
        self.fields["files"].help_text = (
            f"Documents, images, audio or video; up to {max_files_per_post()} files at once, "
            f"{max_file_bytes() // (1024 * 1024)} MB each."
        )
        if evidence is not None:
            self.fields["remove_files"] = forms.ModelMultipleChoiceField(
                queryset=evidence.files.all(),
                widget=forms.CheckboxSelectMultiple,
                required=False,
                label="Remove these files",
            )

    @property
    def was_cut_off(self) -> bool:
        return self.is_bound and self.data.get(UPLOAD_COMPLETE_FIELD) != "1"

    @staticmethod
    def initial_from(evidence, *, with_date: bool = True) -> dict:
        """The form filled from an item: to change a draft, or to start its correction."""
        if evidence is None:
            return {}
        initial = {
            "title": evidence.title,
            "method": evidence.method_id,
            "description": evidence.description,
            "text": evidence.text,
            "workplace_location": evidence.workplace_location,
        }
        return {**initial, "date": evidence.date} if with_date else initial

    def service_kwargs(self) -> dict:
        """For `services.evidence_create` (and, with `update_kwargs`, `evidence_update`)."""
        data = self.cleaned_data
        kwargs = {
            name: data[name]
            for name in ("title", "method", "date", "description", "text", "workplace_location")
        } | {"files": data["files"]}
        if data.get("criteria"):
            kwargs["criteria"] = list(data["criteria"])
        return kwargs

    @property
    def chosen_criteria(self) -> list:
        """The criteria the new item starts mapped to, for the page to name."""
        if "criteria" not in self.fields:
            return []
        if self.is_bound:
            return list(self.cleaned_data.get("criteria") or []) if self.is_valid() else []
        wanted = [str(v) for v in self.initial.get("criteria") or [] if str(v).isdigit()]
        return list(self.fields["criteria"].queryset.filter(pk__in=wanted).order_by("sort_key"))

    def update_kwargs(self) -> dict:
        kwargs = self.service_kwargs()
        kwargs["new_files"] = kwargs.pop("files")
        kwargs["remove_file_ids"] = [f.pk for f in self.cleaned_data.get("remove_files") or []]
        return kwargs

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise ValidationError("The date cannot be in the future.")
        return date

    def clean_uploaded(self):
        """Each token must name a finished upload of this person for this enrolment."""
        self.resumed = []
        for token in dict.fromkeys(self.cleaned_data.get("uploaded") or []):
            resumed = finished_file(token, user_id=self.user.pk, enrolment_id=self.enrolment.pk)
            if resumed is None:
                # Said above the form: the hidden field has no place of its own to show it.
                self.resumed_gone = True
                self.add_error(
                    None,
                    ValidationError(
                        "A file sent ahead is no longer waiting (unfinished uploads are cleared "
                        "after a day). Choose it again.",
                        code="upload_gone",
                    ),
                )
                return []
            self.resumed.append(resumed)
        return [r.token for r in self.resumed]

    def discard_resumed(self) -> None:
        """After the evidence is saved: the files sent ahead are in storage now."""
        for resumed in self.resumed:
            resumed.close()
        discard_resumed(r.token for r in self.resumed)

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        validate_upload_count(files)
        errors = []
        for upload in files:
            try:
                validate_evidence_file(upload, display_name=clean_display_name(upload.name))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return files

    def clean(self):
        data = super().clean()
        if self.was_cut_off:
            raise ValidationError(
                "The upload was cut off before it finished, so nothing was saved. "
                "Check your connection and choose the files again.",
                code="cut_off",
            )
        if self.has_error("files") or self.resumed_gone:
            # A refused file already says why; "add at least one file" would only mislead.
            return data
        if self.resumed:
            data["files"] = [*data.get("files", []), *self.resumed]
            try:
                validate_upload_count(data["files"])
            except ValidationError as exc:
                self.add_error("files", exc)
                return data
        has_files = bool(data.get("files"))
        if self.evidence is not None:
            removing = {f.pk for f in data.get("remove_files") or []}
            has_files = has_files or any(f.pk not in removing for f in self.evidence.files.all())
        if not (
            has_files
            or (data.get("text") or "").strip()
            or (data.get("workplace_location") or "").strip()
        ):
            raise ValidationError(
                "Add at least one file, a written account, or where the workplace document is kept."
            )
        return data


class _TicksField(forms.MultipleChoiceField):
    """Ticks taken as sent; the form checks each one and names any it cannot keep."""

    def validate(self, value):
        pass


class MappingForm(_Form):
    """The criteria an item covers. Each tick is checked on its own: one that cannot be kept
    is named, and the page comes back with every other tick as it was sent."""

    criteria = _TicksField(widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.evidence = evidence

    def clean_criteria(self):
        sent = self.data.getlist("criteria") if hasattr(self.data, "getlist") else []
        wanted = {int(v) for v in sent if str(v).isdigit()}
        problems = [f"“{v}” is not a criterion." for v in sent if not str(v).isdigit()]
        criteria = {
            c.pk: c
            for c in AssessmentCriterion.objects.filter(
                pk__in=wanted,
                unit_id__in=EnrolmentUnit.objects.current()
                .filter(enrolment=self.evidence.enrolment)
                .values("unit_id"),
            ).select_related("unit")
        }
        for pk in sorted(wanted - criteria.keys()):
            problems.append(
                f"Criterion #{pk} is not in this portfolio's units (its unit may have been "
                "withdrawn or changed version); untick it."
            )
        current = set(self.evidence.links.values_list("criterion_id", flat=True))
        added = {pk: c for pk, c in criteria.items() if pk not in current}
        locked = locked_unit_ids(self.evidence.enrolment, {c.unit_id for c in added.values()})
        for c in sorted(added.values(), key=lambda c: (c.unit_id, c.sort_key)):
            if c.unit_id in locked:
                problems.append(
                    f"{c.unit.code or c.unit.title} {c.shown_number}: the unit is signed off "
                    "and locked, so evidence can no longer be mapped to it."
                )
        if problems:
            raise ValidationError(problems)
        return [criteria[pk] for pk in sorted(criteria)]

    def checked(self, evidence) -> set[int]:
        """The ticks to show: what was sent back, or what the item covers now."""
        if self.is_bound:
            return {int(v) for v in self.data.getlist("criteria") if str(v).isdigit()}
        return set(evidence.links.values_list("criterion_id", flat=True))


class SubmitForm(_Form):
    evidence = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Evidence to submit"
    )
    confirm = forms.BooleanField(label=DECLARATION_TEXT, required=True)

    def __init__(self, *args, drafts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = drafts
        self.fields["confirm"].error_messages["required"] = (
            "Tick the declaration to confirm this is your own work."
        )

    def service_kwargs(self) -> dict:
        """For `services.evidence_submit`."""
        return {
            "items": list(self.cleaned_data["evidence"]),
            "declaration_confirmed": self.cleaned_data["confirm"],
        }

    @property
    def selected_ids(self) -> set[int]:
        return {int(v) for v in self["evidence"].value() or [] if str(v).isdigit()}
