from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

from qualifications.importer import SpecParseError
from qualifications.models import OFQUAL_UNIT_CODE
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
    """What the document left out of one unit, asked for before saving."""

    title = forms.CharField(max_length=300, required=False)
    code = forms.CharField(
        label="Ofqual unit code",
        max_length=20,
        required=False,
        help_text="e.g. L/506/1807. Leave blank if you do not know it yet.",
    )

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


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
