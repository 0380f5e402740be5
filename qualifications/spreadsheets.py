"""Cells that spreadsheets must not run.

A cell starting with = + - @ or a tab/carriage return is taken as a formula by Excel, LibreOffice
and Google Sheets, so text that people typed could run in whoever opens an export. Such cells are
prefixed with an apostrophe on export (shown as text, never evaluated), and the apostrophe is taken
off again when the same file is imported.
"""

from import_export import resources

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_formula(value):
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class FormulaSafeResource(resources.ModelResource):
    """A ModelResource whose exports can be opened safely and imported again unchanged."""

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))

    def before_import_row(self, row, **kwargs):
        for key in list(row.keys()):
            row[key] = unescape_formula(row[key])
        super().before_import_row(row, **kwargs)
