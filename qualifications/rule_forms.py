"""The rules editor's forms: the qualification's own rules, its groups, its units' numbers and
its barred combinations, gathered by `RulesEditor` into one `editor.RulesChange`."""

import re

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

from qualifications.editor import GroupRow, RulesChange, UnitRow, rules_of
from qualifications.grading import BANDS
from qualifications.rules import unit_label


def _number(label, **kwargs):
    return forms.IntegerField(label=label, required=False, min_value=0, max_value=32767, **kwargs)


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control form-control-sm")


THRESHOLD_LINE = re.compile(r"^\s*(?P<grade>.+?)\s*[:=]\s*(?P<points>\d+)\s*$")


class QualificationRulesForm(_Form):
    min_credits = _number("Minimum credits in total")
    min_credits_at_level = _number("Minimum credits at or above a level")
    at_level = _number("… at or above level")
    points_pass = _number("Points for a Pass unit")
    points_merit = _number("Points for a Merit unit")
    points_distinction = _number("Points for a Distinction unit")
    per_credit = forms.BooleanField(label="Multiply a unit's points by its credits", required=False)
    thresholds = forms.CharField(
        label="Qualification grade thresholds",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One a line, highest first: grade: minimum points (e.g. “Distinction: 50”). "
        "Leave the points table empty when the qualification is not graded.",
    )

    @classmethod
    def initial_for(cls, change: RulesChange) -> dict:
        grading = change.grading or {}
        points = grading.get("unit_points", {})
        return {
            "min_credits": change.min_credits,
            "min_credits_at_level": change.min_credits_at_level,
            "at_level": change.at_level,
            **{f"points_{band.value}": points.get(band.value) for band in BANDS},
            "per_credit": grading.get("per_credit", False),
            "thresholds": "\n".join(
                f"{row['grade']}: {row['min_points']}" for row in grading.get("thresholds", [])
            ),
        }

    def clean_thresholds(self):
        rows = []
        for number, line in enumerate(self.cleaned_data["thresholds"].splitlines(), start=1):
            if not line.strip():
                continue
            match = THRESHOLD_LINE.match(line)
            if not match:
                raise ValidationError(
                    f"Line {number} (“{line.strip()}”) is not “grade: minimum points”."
                )
            rows.append({"grade": match["grade"], "min_points": int(match["points"])})
        return rows

    def grading(self) -> dict:
        """The points table as `grading.validate_scheme` reads it; {} when left empty."""
        data = self.cleaned_data
        points = {band.value: data.get(f"points_{band.value}") for band in BANDS}
        if all(v is None for v in points.values()) and not data.get("thresholds"):
            return {}
        return {
            "unit_points": points,
            "per_credit": bool(data.get("per_credit")),
            "thresholds": data.get("thresholds") or [],
        }


class GroupForm(_Form):
    key = forms.CharField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=100, required=False)
    is_mandatory = forms.BooleanField(label="Mandatory (every unit)", required=False)
    min_units = _number("Min units")
    max_units = _number("Max units")
    min_credits = _number("Min credits")
    max_credits = _number("Max credits")

    def row(self) -> GroupRow:
        data = self.cleaned_data
        return GroupRow(
            key=data.get("key") or "",
            name=(data.get("name") or "").strip(),
            is_mandatory=bool(data.get("is_mandatory")),
            min_units=data.get("min_units"),
            max_units=data.get("max_units"),
            min_credits=data.get("min_credits"),
            max_credits=data.get("max_credits"),
            delete=bool(data.get("DELETE")),
        )


GroupFormSet = forms.formset_factory(GroupForm, extra=1, can_delete=True, max_num=200)


class UnitRowForm(_Form):
    lineage = forms.CharField(widget=forms.HiddenInput)
    group = forms.ChoiceField(choices=())
    credit_value = _number("Credits")
    glh = _number("GLH")
    tqt = _number("TQT")

    def __init__(self, *args, group_choices=(), labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = group_choices
        self.label = (labels or {}).get(self.initial.get("lineage"), self.initial.get("lineage"))

    def row(self) -> UnitRow:
        data = self.cleaned_data
        return UnitRow(
            lineage=data["lineage"],
            group=data["group"],
            credit_value=data.get("credit_value"),
            glh=data.get("glh"),
            tqt=data.get("tqt"),
        )


UnitRowFormSet = forms.formset_factory(UnitRowForm, extra=0, max_num=500)


class BarredForm(_Form):
    unit = forms.ChoiceField(choices=(), required=False, label="Unit")
    barred = forms.ChoiceField(choices=(), required=False, label="cannot be taken with")

    def __init__(self, *args, unit_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *unit_choices]
        self.fields["unit"].choices = choices
        self.fields["barred"].choices = choices

    def pair(self) -> tuple[str, str] | None:
        data = self.cleaned_data
        if data.get("DELETE") or not (data.get("unit") or data.get("barred")):
            return None
        if not (data.get("unit") and data.get("barred")):
            raise ValidationError("A barred combination names two units.")
        return (data["unit"], data["barred"])


BarredFormSet = forms.formset_factory(BarredForm, extra=1, can_delete=True, max_num=500)


class RulesEditor:
    """The editor's forms together: valid when every part is; `service_kwargs()` is the
    change for `editor.qualification_rules_save`."""

    def __init__(self, data, *, qualification):
        self.qualification = qualification
        current = rules_of(qualification)
        links = qualification.qualification_units.select_related("unit")
        labels = {link.unit.lineage: unit_label(link.unit) for link in links}
        unit_choices = list(labels.items())
        group_choices = [(g.key, g.name) for g in current.groups]
        self.rules = QualificationRulesForm(
            data, prefix="rules", initial=QualificationRulesForm.initial_for(current)
        )
        self.groups = GroupFormSet(
            data, prefix="groups", initial=[g.__dict__ for g in current.groups]
        )
        self.units = UnitRowFormSet(
            data,
            prefix="units",
            initial=[u.__dict__ for u in current.units],
            form_kwargs={"group_choices": group_choices, "labels": labels},
        )
        self.barred = BarredFormSet(
            data,
            prefix="barred",
            initial=[{"unit": u, "barred": b} for u, b in current.barred],
            form_kwargs={"unit_choices": unit_choices},
        )
        self.errors: list[str] = []

    @property
    def parts(self):
        return (self.rules, self.groups, self.units, self.barred)

    def is_valid(self) -> bool:
        valid = all(part.is_valid() for part in self.parts)
        if valid:
            try:
                self._pairs = [p for f in self.barred.forms if (p := f.pair())]
            except ValidationError as error:
                self.errors += error.messages
                valid = False
        return valid

    def service_kwargs(self) -> dict:
        rules = self.rules.cleaned_data
        groups = [
            f.row() for f in self.groups.forms if f.has_changed() or f.cleaned_data.get("key")
        ]
        return {
            "change": RulesChange(
                min_credits=rules.get("min_credits"),
                min_credits_at_level=rules.get("min_credits_at_level"),
                at_level=rules.get("at_level"),
                grading=self.rules.grading(),
                groups=tuple(g for g in groups if g.key or not g.delete),
                units=tuple(f.row() for f in self.units.forms),
                barred=tuple(self._pairs),
            )
        }
