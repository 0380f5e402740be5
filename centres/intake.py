"""Reading a class list (CSV or XLSX) into rows, whatever the spreadsheet called its columns."""

import datetime
import re
from dataclasses import dataclass

from import_export.formats.base_formats import CSV, XLSX

from accounts.models import User
from portfolios.models import Enrolment
from qualifications.archives import ArchiveRefused, check_archive

MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024

# Our column → the headings people give it.
COLUMNS = {
    "name": ["name", "full_name", "learner", "learner_name"],
    "first_name": ["first_name", "forename", "given_name", "first"],
    "last_name": ["last_name", "surname", "family_name", "last"],
    "email": ["email", "e_mail", "email_address", "e_mail_address", "learner_email"],
    "registration_number": [
        "registration_number", "registration", "reg_number", "awarding_body_registration_number",
    ],
    "qualification_number": ["qualification_number", "qualification", "qan", "ofqual_number"],
    "units": ["units", "unit_codes", "unit"],
    "tutor_email": ["tutor_email", "tutor", "tutor_e_mail", "assessor_email", "assessor"],
    "start_date": ["start_date", "start"],
    "planned_end_date": ["planned_end_date", "end_date", "planned_end", "expected_end_date"],
}  # fmt: skip
REQUIRED = ["email", "tutor_email", "start_date", "planned_end_date"]


class IntakeFileError(ValueError):
    """The file cannot be read as a class list; the message says why."""


@dataclass
class IntakeRow:
    number: int  # the spreadsheet's row number (the header is row 1)
    values: dict[str, object]


def _key(heading) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(heading or "").strip().lower()).strip("_")


def _header_map(headers) -> dict[int, str]:
    lookup = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
    mapping = {}
    for index, heading in enumerate(headers):
        column = lookup.get(_key(heading))
        if column and column not in mapping.values():
            mapping[index] = column
    return mapping


def read_rows(file_name: str, content: bytes) -> list[IntakeRow]:
    if not content:
        raise IntakeFileError("The file is empty.")
    if len(content) > MAX_BYTES:
        raise IntakeFileError("The file is larger than 5 MB; split the class list.")
    lowered = file_name.lower()
    try:
        if lowered.endswith(".csv"):
            text = content.decode("utf-8-sig")
            dataset = CSV().create_dataset(text)
        elif lowered.endswith(".xlsx"):
            if not content.startswith(b"PK"):
                raise IntakeFileError(f"{file_name} is not an XLSX workbook.")
            try:
                check_archive(content)  # before openpyxl unpacks and parses every part
            except ArchiveRefused as error:
                raise IntakeFileError(f"{file_name} cannot be read: {error}.") from error
            dataset = XLSX().create_dataset(content)
        else:
            raise IntakeFileError("Upload a .csv or .xlsx file.")
    except UnicodeDecodeError as error:
        raise IntakeFileError("The CSV file is not UTF-8 text; save it as 'CSV UTF-8'.") from error
    except IntakeFileError:
        raise
    except Exception as error:  # tablib and openpyxl raise many kinds for a bad file
        raise IntakeFileError(f"{file_name} could not be read: {error}") from error

    mapping = _header_map(dataset.headers or [])
    present = set(mapping.values())
    missing = [c for c in REQUIRED if c not in present]
    if "name" not in present and not {"first_name", "last_name"} <= present:
        missing.append("name (or first_name and last_name)")
    if missing:
        raise IntakeFileError(
            "Row 1 (the headings) has no column for: " + ", ".join(missing) + ". Expected "
            "columns: name, email, registration_number, qualification_number, units, "
            "tutor_email, start_date, planned_end_date."
        )
    rows = []
    for offset, raw in enumerate(dataset, start=2):
        values = {column: raw[index] for index, column in mapping.items()}
        if all(v in (None, "") for v in values.values()):
            continue
        rows.append(IntakeRow(number=offset, values=values))
    if not rows:
        raise IntakeFileError("The file has headings but no learners.")
    if len(rows) > MAX_ROWS:
        raise IntakeFileError(
            f"The file has {len(rows)} learners; import at most {MAX_ROWS} at once."
        )
    return rows


def text(value) -> str:
    return "" if value is None else str(value).strip()


def parse_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"'{raw}' is not a date; write it as 2026-09-01 or 01/09/2026.")


def split_names(values: dict) -> tuple[str, str]:
    first, last = text(values.get("first_name")), text(values.get("last_name"))
    if first or last:
        return first, last
    parts = text(values.get("name")).split()
    if not parts:
        return "", ""
    return " ".join(parts[:-1]) or parts[0], parts[-1] if len(parts) > 1 else ""


def split_units(value) -> list[str]:
    return [code.upper() for code in re.split(r"[;,\s]+", text(value)) if code]


def _longest(model, name) -> int:
    return model._meta.get_field(name).max_length


def row_problems(values: dict) -> list[tuple[str, str]]:
    """(column, message) for what no database column can hold: a NUL character, or a value
    longer than the column it is saved to.

    Checked before anything is looked up or saved, so that SQLite (which would keep it) and
    PostgreSQL (which refuses it with an error) both answer with the same message.
    """
    problems = []
    for column, value in values.items():
        if isinstance(value, str) and "\x00" in value:
            problems.append((column, "The cell holds a NUL character; the file may be damaged."))
    if problems:
        return problems
    first, last = split_names(values)
    split = text(values.get("first_name")) or text(values.get("last_name"))
    lengths = [
        ("first_name" if split else "name", "first name", first, _longest(User, "first_name")),
        ("last_name" if split else "name", "last name", last, _longest(User, "last_name")),
        ("email", "e-mail address", text(values.get("email")), _longest(User, "email")),
        (
            "registration_number",
            "registration number",
            text(values.get("registration_number")),
            _longest(Enrolment, "registration_number"),
        ),
    ]
    for column, label, value, longest in lengths:
        if len(value) > longest:
            problems.append(
                (column, f"The {label} is {len(value)} characters long; at most {longest} fit.")
            )
    return problems
