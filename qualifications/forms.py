from collections import Counter

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from qualifications.importer import GRADES, ParsedUnit, ParseResult, SpecParseError
from qualifications.importer.edits import apply_corrections, split_rows
from qualifications.models import OFQUAL_UNIT_CODE
from qualifications.permissions import is_catalogue_editor, owning_centres
from qualifications.structure import StructureError, check_document, load_document
from qualifications.textextract import extract_text

MAX_SPEC_BYTES = 10 * 1024 * 1024
SPEC_EXTENSIONS = (".txt", ".docx", ".pdf")


class SpecSourceForm(forms.Form):
    """The awarding body's document: pasted text, or a .txt, .docx or .pdf file."""

    text = forms.CharField(
        label="Paste the specification's text",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        required=False,
        strip=False,
    )
    file = forms.FileField(
        label="…or upload the document",
        required=False,
        help_text="A .txt, .docx or .pdf file, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SPEC_EXTENSIONS)}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        text = cleaned.get("text") or ""
        if upload and text.strip():
            raise ValidationError("Paste the text or upload a file, not both.")
        if upload:
            name = upload.name.lower()
            if not name.endswith(SPEC_EXTENSIONS):
                raise ValidationError("Upload a .txt, .docx or .pdf file.")
            if upload.size > MAX_SPEC_BYTES:
                raise ValidationError("The file is larger than 10 MB.")
            try:
                text = extract_text(upload.name, upload.read())
            except SpecParseError as error:
                raise ValidationError(str(error)) from error
        if not text.strip():
            raise ValidationError("Paste the specification's text or upload its document.")
        cleaned["source_text"] = text
        return cleaned


class UnitDetailsForm(forms.Form):
    """What the document left out of one unit (title, code, level), asked for before saving."""

    title = forms.CharField(max_length=300, required=False)
    code = forms.CharField(
        label="Ofqual unit code",
        max_length=20,
        required=False,
        help_text="e.g. L/506/1807. Leave blank if you do not know it yet.",
    )
    level = forms.IntegerField(min_value=1, max_value=8, required=False)

    def __init__(self, *args, needs_title=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = needs_title
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if code and not OFQUAL_UNIT_CODE.match(code):
            raise ValidationError("An Ofqual unit code looks like L/506/1807.")
        return code


class CriterionRowForm(forms.Form):
    """One parsed criterion in the preview, as the admin corrects it.

    Splitting a row: start a new line in its text with the new criterion's number
    ("1.3 Describe ..."). Merging: tick "merge into the row above".
    """

    outcome = forms.CharField(max_length=10)
    outcome_title = forms.CharField(max_length=500, required=False)
    number = forms.CharField(max_length=12)
    label = forms.CharField(
        max_length=12,
        required=False,
        help_text="The number as the awarding body prints it, when it differs (P1, M2, D1).",
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), strip=True)
    grade = forms.ChoiceField(
        label="Grade band",
        choices=[("", "—"), *((g, g.capitalize()) for g in GRADES)],
        required=False,
    )
    merge_up = forms.BooleanField(label="Merge into the row above", required=False)


class BaseCriterionRowFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        numbers = Counter(row["number"] for row in split_rows(self.rows()))
        repeated = sorted(number for number, count in numbers.items() if count > 1)
        if repeated:
            raise ValidationError(
                f"Each criterion needs its own number: {', '.join(repeated)} is used twice."
            )
        if not numbers:
            raise ValidationError("A unit needs at least one criterion.")

    def rows(self) -> list[dict]:
        return [
            {**form.cleaned_data, "delete": self._should_delete_form(form)}
            for form in self.forms
            if form.cleaned_data
        ]


CriterionRowFormSet = forms.formset_factory(
    CriterionRowForm, formset=BaseCriterionRowFormSet, extra=1, can_delete=True
)

# Fields one row posts at most (its six fields and two tick boxes), and a unit's own fields
# (title, code, level and the formset's four management fields).
FIELDS_PER_ROW = 8
FIELDS_PER_UNIT = 7


def units_to_correct(units: list[ParsedUnit]) -> set[int]:
    """Indexes of the units whose rows the preview offers to correct.

    A form may post only so many fields (``DATA_UPLOAD_MAX_NUMBER_FIELDS``): a 39-unit
    handbook has more rows than that. Every unit is correctable when they all fit; otherwise the
    least sure units come first, and the rest are shown as read.
    """
    budget = (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS or 10**9) - 20  # csrf, confirm, source
    budget -= FIELDS_PER_UNIT * len(units)
    chosen = set()
    for index in sorted(range(len(units)), key=lambda i: (units[i].confidence, i)):
        cost = FIELDS_PER_ROW * (units[index].criteria_count + 1)  # and one blank row
        if cost <= budget:
            chosen.add(index)
            budget -= cost
    return chosen


def rows_posted(rows) -> bool:
    return rows is not None and rows.is_bound


def unit_forms_valid(unit_forms) -> bool:
    """Every unit's details are valid, and so are the rows the admin sent back."""
    return all(
        details.is_valid() and (not rows_posted(rows) or rows.is_valid())
        for _plan, details, rows in unit_forms
    )


def corrected_result(result: ParseResult, unit_forms) -> ParseResult:
    """The reading with the preview's corrections: the rows sent back, and levels given."""
    return apply_corrections(
        result,
        rows={plan.index: rows.rows() for plan, _, rows in unit_forms if rows_posted(rows)},
        levels={plan.index: details.cleaned_data["level"] for plan, details, _ in unit_forms},
    )


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)


MAX_STRUCTURE_BYTES = 5 * 1024 * 1024
SHARED_CATALOGUE = "shared"


class StructureUploadForm(forms.Form):
    """A qualification structure document (JSON), and whose catalogue it goes into: the
    shared one (staff and catalogue editors) or a centre's own (its admins)."""

    file = forms.FileField(
        label="Structure document (.json)",
        required=False,
        help_text="As downloaded from a qualification's page here or in another installation, "
        "up to 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    document = forms.CharField(
        label="…or paste it",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
    catalogue = forms.ChoiceField(label="Import into")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.centres = {str(c.pk): c for c in owning_centres(user)}
        choices = [(pk, f"{c.name}'s own catalogue") for pk, c in self.centres.items()]
        if is_catalogue_editor(user):
            choices.insert(0, (SHARED_CATALOGUE, "The shared catalogue"))
        self.fields["catalogue"].choices = choices
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("file"), cleaned.get("document") or ""
        if upload and text.strip():
            raise ValidationError("Upload a file or paste the document, not both.")
        if upload:
            if upload.size > MAX_STRUCTURE_BYTES:
                raise ValidationError("The file is larger than 5 MB.")
            raw = upload.read()
        else:
            raw = text.encode()
        if not raw.strip():
            raise ValidationError("Upload the structure document or paste it.")
        try:
            cleaned["parsed"] = check_document(load_document(raw))
        except StructureError as error:
            shown = ["Nothing was imported: the document has these faults.", *error.problems[:20]]
            raise ValidationError(shown) from error
        # The text travels with the preview so that confirming sends the same document.
        cleaned["text"] = raw.decode("utf-8", errors="replace")
        return cleaned

    def service_kwargs(self) -> dict:
        choice = self.cleaned_data["catalogue"]
        return {
            "document": self.cleaned_data["parsed"],
            "centre": None if choice == SHARED_CATALOGUE else self.centres[choice],
        }
