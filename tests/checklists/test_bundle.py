"""The EQA bundle carries the learners' written accounts and each unit's filled checklist, and
every CSV in it names each column once."""

import csv
import io
import zipfile

import pytest

from checklists.bundle import _csv, build_bundle
from tests.checklists.helpers import pdf_text


def _csv_rows(archive, name):
    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_bundle_carries_each_written_account(portfolio, enrolment, centre_admin):
    archive = zipfile.ZipFile(build_bundle(enrolment, by=centre_admin))
    first = portfolio["first"]
    account = archive.read(f"evidence/{first.reference}/written-account.txt").decode()
    assert account == (
        "E001 Welcome desk log\nReflective account, 2026-02-03\n\n"
        "Written account\n---------------\nWritten account.\n"
    )
    # The draft's words stay with the learner.
    draft = portfolio["draft"]
    assert not [n for n in archive.namelist() if n.startswith(f"evidence/{draft.reference}/")]
    # The index names the account among the item's files.
    index = {row[0]: row for row in _csv_rows(archive, "index.csv")[1:]}
    assert f"evidence/{first.reference}/written-account.txt" in index[first.reference][10]


def test_bundle_carries_a_filled_checklist_per_unit(portfolio, enrolment, centre_admin):
    archive = zipfile.ZipFile(build_bundle(enrolment, by=centre_admin))
    units = sorted(n for n in archive.namelist() if n.startswith("checklists/"))
    taken = list(enrolment.units.order_by("enrolment_units__position"))
    assert len(units) == len(taken) == 2
    for name, unit in zip(units, taken, strict=True):
        assert name.endswith(".pdf")
        text = pdf_text(archive.read(name))
        assert unit.code in text
        # pdf_text drops spaces
        assert "UnitAssessmentChecklistAliceArcher" in text
    assert "checklists/     each unit's assessment checklist" in archive.read("README.txt").decode()


def test_bundle_for_a_unit_grant_holds_only_that_units_checklist(
    portfolio, enrolment, centre_admin
):
    unit = enrolment.units.order_by("enrolment_units__position")[1]
    archive = zipfile.ZipFile(build_bundle(enrolment, by=centre_admin, unit_ids=[unit.pk]))
    [only] = [n for n in archive.namelist() if n.startswith("checklists/")]
    assert unit.code.replace("/", "-").lower() in only


def test_every_csv_in_the_bundle_names_each_column_once(portfolio, enrolment, centre_admin):
    archive = zipfile.ZipFile(build_bundle(enrolment, by=centre_admin))
    names = [n for n in archive.namelist() if n.endswith(".csv")]
    assert sorted(names) == [
        "decisions.csv",
        "index.csv",
        "moderation.csv",
        "sign-offs.csv",
        "units.csv",
    ]
    for name in names:
        header = _csv_rows(archive, name)[0]
        assert len(header) == len(set(header)), (name, header)
    assert _csv_rows(archive, "decisions.csv")[0][:3] == ["Unit", "Criterion", "Outcome"]


def test_a_repeated_column_name_is_refused():
    with pytest.raises(ValueError, match="Column names repeat"):
        _csv([], ["Decision", "Decision"])


def test_moderation_csv_carries_the_internal_moderators_vacs_checklist(
    enrolment, named_people, centre_admin, internal_moderator
):
    from moderation.enums import SampleOutcome
    from moderation.vacs import VacsChecklist
    from tests.moderation.conftest import add_evidence as submitted
    from tests.moderation.conftest import criteria, decide, moderate, sign

    learner, tutor = named_people
    unit = enrolment.units.order_by("enrolment_units__position").first()
    item = submitted(enrolment, learner, criteria_list=criteria(unit), title="Till log")
    decide(enrolment, tutor, criteria(unit), evidence=item)
    sign(enrolment, unit, tutor)
    moderate(
        enrolment,
        unit,
        internal_moderator,
        SampleOutcome.REFERRED,
        vacs=VacsChecklist(
            valid=True,
            authentic=True,
            current=False,
            sufficient=True,
            notes={"current": "The log is from 2019."},
        ),
    )
    archive = zipfile.ZipFile(build_bundle(enrolment, by=centre_admin))
    header, row = _csv_rows(archive, "moderation.csv")
    assert header[-1] == "VACS checklist"
    assert dict(zip(header, row, strict=True))["VACS checklist"] == (
        "Valid: yes; Authentic: yes; Current: no (The log is from 2019.); Sufficient: yes"
    )
    assert (
        "internal moderator's VACS checklist (valid, authentic,"
        in archive.read("README.txt").decode()
    )
