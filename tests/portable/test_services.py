"""Export and import within one installation (from centre A to centre B), and every kind of
tampering refused, naming what is wrong, with nothing written."""

import datetime
import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from accounts.models import User
from audit.chain import verify_chain
from audit.enums import AuditAction
from audit.models import AuditEntry
from moderation.models import Sample, SampleDecision
from portable.package import PackageRefused, open_package
from portable.services import portfolio_import
from portfolios import permissions, record, services
from portfolios.models import (
    CriterionDecision,
    Enrolment,
    Evidence,
    EvidenceFile,
    PortfolioImport,
    UnitSignOff,
)
from tests.portable.conftest import manifest_of, package_of, parts_of, repack

pytestmark = pytest.mark.django_db


def _import(package: bytes, centre, tutor, by=None):
    with open_package(io.BytesIO(package)) as opened:
        return portfolio_import(package=opened, centre=centre, tutor=tutor, by=by)


def _counts(media_root) -> dict:
    return {
        "enrolments": Enrolment.objects.count(),
        "evidence": Evidence.objects.count(),
        "files": EvidenceFile.objects.count(),
        "decisions": CriterionDecision.objects.count(),
        "sign_offs": UnitSignOff.objects.count(),
        "samples": Sample.objects.count(),
        "audit": AuditEntry.objects.count(),
        "people": User.objects.count(),
        "imports": PortfolioImport.objects.count(),
        "stored": sorted(str(p) for p in media_root.rglob("*") if p.is_file()),
    }


def _resealed(parts: dict, manifest: dict) -> bytes:
    """The parts with this manifest and a manifest.sha256 made again to match it: what
    someone who knows the format would do."""
    body = json.dumps(manifest).encode()
    return repack(
        {**parts, "manifest.json": body, "manifest.sha256": hashlib.sha256(body).hexdigest()}
    )


def test_manifest_holds_the_whole_record(portfolio):
    manifest = manifest_of(package_of(portfolio.enrolment))
    assert [e["reference"] for e in manifest["evidence"]] == ["E001", "E002"]
    assert manifest["enrolment"]["last_evidence_number"] == 2
    assert manifest["evidence"][1]["submitted_at"] is None
    assert [f["name"] for f in manifest["evidence"][0]["files"]] == ["Complaint log.pdf"]
    assert len(manifest["decisions"]) == 5
    assert [s["acknowledgement"]["comment"] for s in manifest["sign_offs"]] == ["Thank you."]
    assert sorted(d["outcome"] for s in manifest["samples"] for d in s["decisions"]) == [
        "agreed",
        "referred",
    ]
    assert len(manifest["reopenings"]) == 1
    assert [(u["criteria"], u["met"], u["locked"]) for u in manifest["progress"]["units"]] == [
        (4, 4, True),
        (2, 0, False),
    ]
    entries = manifest["audit"]["entries"]
    assert entries == sorted(entries, key=lambda e: e["seq"])
    assert {e["enrolment_id"] for e in entries} == {portfolio.enrolment.pk}
    head = manifest["audit"]["chain_head"]
    assert head["seq"] >= entries[-1]["seq"]
    paths = {f["path"] for f in manifest["files"]}
    assert "checklist.pdf" in paths
    assert parts_of(package_of(portfolio.enrolment))["checklist.pdf"].startswith(b"%PDF")


def test_import_carries_on_where_the_learner_left_off(
    portfolio, other_centre, receiving_tutor, receiving_admin, learner, tutor
):
    package = package_of(portfolio.enrolment)
    imported = _import(package, other_centre, receiving_tutor, by=receiving_admin)

    enrolment = imported.enrolment
    assert enrolment.centre == other_centre
    assert enrolment.tutor == receiving_tutor
    # Alice is no learner at Beta: a new account with her name and address, no password.
    assert enrolment.learner != learner
    assert (enrolment.learner.get_full_name(), enrolment.learner.email) == (
        learner.get_full_name(),
        learner.email,
    )
    assert not enrolment.learner.has_usable_password()
    # The same criteria are met, not yet met and reopened (one catalogue, so the same ids).
    assert record.latest_decisions(enrolment) == record.latest_decisions(portfolio.enrolment)
    assert record.locked_unit_ids(enrolment) == record.locked_unit_ids(portfolio.enrolment)
    # Provenance: who and when as they were, from which centre, which package.
    assert imported.source_label == "Alpha College (A0001)"
    assert imported.package_sha256 == hashlib.sha256(package).hexdigest()
    decision = CriterionDecision.objects.filter(enrolment=enrolment).order_by("pk").first()
    original = (
        CriterionDecision.objects.filter(enrolment=portfolio.enrolment).order_by("pk").first()
    )
    assert str(decision.decided_by) == str(tutor)
    assert decision.decided_by.is_active is False
    assert decision.decided_at == original.decided_at
    assert decision.imported_from == imported
    assert UnitSignOff.objects.get(enrolment=enrolment).signature_name == (
        portfolio.sign_off.signature_name
    )
    # Evidence bytes identical.
    new_file = EvidenceFile.objects.get(evidence__enrolment=enrolment, evidence__number=1)
    old_file = portfolio.submitted.files.get()
    with new_file.file.open("rb") as a, old_file.file.open("rb") as b:
        assert a.read() == b.read()
    assert new_file.file.name != old_file.file.name
    # Read-only: not even the imported draft may be changed, re-mapped or deleted.
    draft = Evidence.objects.get(enrolment=enrolment, reference="E002")
    assert draft.submitted_at is None
    assert not permissions.can_edit_evidence(enrolment.learner, draft)
    with pytest.raises(ValidationError, match="You cannot change E002"):
        services.evidence_set_criteria(evidence=draft, by=enrolment.learner, criteria=[])
    with pytest.raises(ValidationError, match="You cannot delete E002"):
        services.evidence_delete(evidence=draft, by=enrolment.learner)
    # The receiving trail: one entry naming the centre and the package, every row recorded.
    entry = AuditEntry.objects.get(action=AuditAction.PORTFOLIO_IMPORTED)
    assert entry.summary == (
        f"Portfolio of {enrolment.learner} imported from centre Alpha College (A0001), "
        f"package sha256 {imported.package_sha256}"
    )
    assert entry.actor == receiving_admin
    report = verify_chain()
    assert report.ok, report.findings


def test_learner_of_the_receiving_centre_is_matched_by_email(
    portfolio, other_centre, receiving_tutor, learner
):
    from accounts.enums import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=learner, centre=other_centre, role=Role.LEARNER)
    people = User.objects.count()
    imported = _import(package_of(portfolio.enrolment), other_centre, receiving_tutor)
    assert imported.enrolment.learner == learner
    # Bob, who decided and signed, and Ivy, who moderated: kept for the record only.
    assert User.objects.count() == people + 2
    kept = User.objects.filter(username__startswith="record-").order_by("first_name")
    assert [
        (str(u), u.is_active, u.has_usable_password(), u.memberships.count()) for u in kept
    ] == [
        ("Bob Bobfield", False, False, 0),
        ("Ivy Ivyfield", False, False, 0),
    ]


def test_imported_portfolio_exports_again_with_its_provenance(
    portfolio, other_centre, receiving_tutor
):
    imported = _import(package_of(portfolio.enrolment), other_centre, receiving_tutor)
    manifest = manifest_of(package_of(imported.enrolment))
    assert {e["imported_from"] for e in manifest["evidence"]} == {imported.pk}
    assert {d["imported_from"] for d in manifest["decisions"]} == {imported.pk}
    # ... and that second package is itself consistent.
    with open_package(io.BytesIO(package_of(imported.enrolment))) as again:
        assert again.manifest["source"]["centre"]["number"] == other_centre.centre_number


# ---------------------------------------------------------------- refused, nothing written


def _refused(package: bytes, centre, tutor, media_root) -> list[str]:
    before = _counts(media_root)
    with pytest.raises((PackageRefused, ValidationError)) as refused:
        _import(package, centre, tutor)
    assert _counts(media_root) == before
    error = refused.value
    return error.problems if isinstance(error, PackageRefused) else error.messages


def test_altered_file_bytes_are_refused(portfolio, other_centre, receiving_tutor, media_root):
    parts = parts_of(package_of(portfolio.enrolment))
    path = f"files/{portfolio.submitted.files.get().pk}"
    parts[path] = parts[path].replace(b"Complaint", b"Compliant")
    problems = _refused(repack(parts), other_centre, receiving_tutor, media_root)
    assert len(problems) == 1
    assert problems[0].startswith(
        f"{path} (Complaint log.pdf of E001) was altered: its SHA-256 is "
    )


def test_changed_manifest_is_refused(portfolio, other_centre, receiving_tutor, media_root):
    parts = parts_of(package_of(portfolio.enrolment))
    parts["manifest.json"] = parts["manifest.json"].replace(b'"met"', b'"not_yet_met"', 1)
    problems = _refused(repack(parts), other_centre, receiving_tutor, media_root)
    assert len(problems) == 1
    assert problems[0].startswith("manifest.json was changed: its SHA-256 is ")


def test_altered_decision_is_refused_even_with_the_manifest_hash_made_again(
    portfolio, other_centre, receiving_tutor, media_root
):
    parts = parts_of(package_of(portfolio.enrolment))
    manifest = json.loads(parts["manifest.json"])
    target = next(d for d in manifest["decisions"] if d["outcome"] == "met")
    target["outcome"] = "not_yet_met"
    target["feedback"] = "Changed after the fact."
    problems = _refused(_resealed(parts, manifest), other_centre, receiving_tutor, media_root)
    entry = AuditEntry.objects.get(
        object_type="portfolios.criteriondecision", object_id=target["id"]
    )
    assert problems == [
        f"The decision {target['id']} was changed: it no longer matches audit entry #{entry.seq}."
    ]


def test_altered_audit_entry_is_refused_naming_it(
    portfolio, other_centre, receiving_tutor, media_root
):
    parts = parts_of(package_of(portfolio.enrolment))
    manifest = json.loads(parts["manifest.json"])
    entry = manifest["audit"]["entries"][2]
    entry["actor_name"] = "Someone Else"
    problems = _refused(_resealed(parts, manifest), other_centre, receiving_tutor, media_root)
    assert problems == [
        f"Audit entry #{entry['seq']} ({entry['summary']}) was changed: its content no "
        "longer matches its hash."
    ]


def test_removed_file_is_refused(portfolio, other_centre, receiving_tutor, media_root):
    parts = parts_of(package_of(portfolio.enrolment))
    path = f"files/{portfolio.draft.files.get().pk}"
    del parts[path]
    problems = _refused(repack(parts), other_centre, receiving_tutor, media_root)
    assert problems == [
        f"{path} (Unfinished notes.pdf of E002) is listed in the manifest but missing from "
        "the package."
    ]


def test_extra_file_is_refused(portfolio, other_centre, receiving_tutor, media_root):
    parts = parts_of(package_of(portfolio.enrolment))
    parts["files/999999"] = b"smuggled"
    problems = _refused(repack(parts), other_centre, receiving_tutor, media_root)
    assert problems == ["files/999999 is in the package but not in its manifest (an extra file)."]


@pytest.mark.parametrize("name", ["../../etc/passwd", "/srv/evil", "files/../manifest.json"])
def test_names_outside_the_layout_are_refused(
    portfolio, other_centre, receiving_tutor, media_root, name
):
    parts = parts_of(package_of(portfolio.enrolment))
    parts[name] = b"x"
    problems = _refused(repack(parts), other_centre, receiving_tutor, media_root)
    assert problems == [
        f"The package holds {name!r}, a name outside its layout (only manifest.json, "
        "manifest.sha256, checklist.pdf and files/<number>)."
    ]


def test_package_unpacking_beyond_the_limit_is_refused(
    portfolio, other_centre, receiving_tutor, media_root, settings
):
    package = package_of(portfolio.enrolment)
    settings.PORTFOLIO_PACKAGE_MAX_MB = 0
    problems = _refused(package, other_centre, receiving_tutor, media_root)
    assert len(problems) == 1
    assert problems[0].startswith("The package unpacks to ")
    assert problems[0].endswith("at most 0 MB is accepted (PORTFOLIO_PACKAGE_MAX_MB).")


def test_not_a_zip_is_refused(other_centre, receiving_tutor, media_root):
    problems = _refused(b"PK not really", other_centre, receiving_tutor, media_root)
    assert problems[0].startswith("The file is not a portfolio package (a zip)")


def test_unit_version_missing_here_is_refused_naming_it(
    portfolio, other_centre, receiving_tutor, media_root
):
    parts = parts_of(package_of(portfolio.enrolment))
    manifest = json.loads(parts["manifest.json"])
    manifest["units"][0]["version"] = 7
    code, title = manifest["units"][0]["code"], manifest["units"][0]["title"]
    problems = _refused(_resealed(parts, manifest), other_centre, receiving_tutor, media_root)
    assert problems == [
        f"Unit {code} version 7 ({title}) is not in this catalogue: import that version first."
    ]


def test_tutor_of_another_centre_is_refused(portfolio, other_centre, tutor, media_root):
    problems = _refused(package_of(portfolio.enrolment), other_centre, tutor, media_root)
    assert problems == [f"{tutor} is not a tutor at {other_centre.name}."]


def test_files_stored_before_a_failure_are_removed(
    portfolio, other_centre, receiving_tutor, media_root, monkeypatch
):
    """Storage is outside the project: its second save fails, and the first file goes."""
    package = package_of(portfolio.enrolment)
    before = _counts(media_root)
    real_save, calls = default_storage.save, []

    def failing_save(name, content, **kwargs):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(name, content, **kwargs)

    monkeypatch.setattr(default_storage, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        _import(package, other_centre, receiving_tutor)
    assert len(calls) == 2
    assert _counts(media_root) == before


def test_sample_decisions_arrive_with_their_referral(portfolio, other_centre, receiving_tutor):
    imported = _import(package_of(portfolio.enrolment), other_centre, receiving_tutor)
    referral = SampleDecision.objects.get(sample__enrolment=imported.enrolment, outcome="referred")
    assert referral.reopening.enrolment == imported.enrolment
    assert referral.reopening.reopened_criteria.count() == 1
    assert Sample.objects.filter(enrolment=imported.enrolment, plan=None).count() == 2
    # The internal moderator's VACS checklist arrives with each decision.
    source = SampleDecision.objects.get(sample__enrolment=portfolio.enrolment, outcome="referred")
    assert (
        referral.vacs
        == source.vacs
        == [
            ("Valid", True, ""),
            ("Authentic", True, ""),
            ("Current", True, ""),
            ("Sufficient", True, ""),
        ]
    )


def test_learner_and_new_tutor_carry_on(portfolio, other_centre, receiving_tutor, catalogue):
    from moderation.services import DecisionRequest, criteria_decide

    imported = _import(package_of(portfolio.enrolment), other_centre, receiving_tutor)
    enrolment, learner = imported.enrolment, imported.enrolment.learner
    draft = Evidence.objects.get(enrolment=enrolment, reference="E002")
    # The learner submits the draft that arrived, as it is.
    assert services.evidence_submit(items=[draft], by=learner, declaration_confirmed=True) == 1
    # The new tutor decides the criterion the referral reopened there.
    reopened = catalogue.unit_b.criteria.order_by("sort_key").first()
    before = record.latest_decisions(enrolment)
    assert before[reopened.pk] == "not_yet_met"
    latest = CriterionDecision.objects.filter(enrolment=enrolment, criterion=reopened).latest()
    criteria_decide(
        enrolment=enrolment,
        by=receiving_tutor,
        decided_on=datetime.date(2026, 3, 2),
        requests=[DecisionRequest(reopened.pk, "met", seen_id=latest.get().pk)],
    )
    assert record.latest_decisions(enrolment)[reopened.pk] == "met"
    # New evidence continues the references where they stopped.
    new = services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Next step",
        method=draft.method,
        date=datetime.date(2026, 3, 3),
        text="Carried on.",
    )
    assert new.reference == "E003"
    assert verify_chain().ok


def test_keyed_trail_needs_the_same_key(
    portfolio, other_centre, receiving_tutor, media_root, settings
):
    settings.AUDIT_KEY = "the sending installation's key"
    parts = parts_of(package_of(portfolio.enrolment))
    manifest = json.loads(parts["manifest.json"])
    # The portfolio's entries were written before the key was set; the export's own is keyed.
    keyed = [e for e in manifest["audit"]["entries"] if e["keyed"]]
    assert [e["action"] for e in keyed] == []
    settings.AUDIT_KEY = ""
    manifest["audit"]["entries"][0]["keyed"] = True
    problems = _refused(_resealed(parts, manifest), other_centre, receiving_tutor, media_root)
    first = manifest["audit"]["entries"][0]
    assert problems[0] == (
        f"Audit entry #{first['seq']} ({first['summary']}) does not match its hash under this "
        "installation's AUDIT_KEY: it was changed, or the sending installation keys its trail "
        "with another key."
    )


def test_bytes_changed_inside_the_zip_are_refused(
    portfolio, other_centre, receiving_tutor, media_root
):
    """Changed in the archive itself (the zip's own checksum no longer matches)."""
    parts = parts_of(package_of(portfolio.enrolment))
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    raw = stored.getvalue()
    assert raw.count(b"(Complaint log)") == 1
    path = f"files/{portfolio.submitted.files.get().pk}"
    problems = _refused(
        raw.replace(b"(Complaint log)", b"(Compliant log)"),
        other_centre,
        receiving_tutor,
        media_root,
    )
    assert problems == [
        f"{path} (Complaint log.pdf of E001) is damaged in the zip (Bad CRC-32 for file '{path}')."
    ]


def test_same_package_is_not_imported_twice(portfolio, other_centre, receiving_tutor, media_root):
    package = package_of(portfolio.enrolment)
    first = _import(package, other_centre, receiving_tutor)
    problems = _refused(package, other_centre, receiving_tutor, media_root)
    assert problems[0] == (
        f"This package was imported here already, on {first.imported_at:%d %b %Y %H:%M}."
    )


def test_command_refuses_naming_the_problem(
    portfolio, other_centre, receiving_tutor, media_root, tmp_path
):
    from django.core.management import CommandError, call_command

    parts = parts_of(package_of(portfolio.enrolment))
    parts["files/999999"] = b"smuggled"
    path = tmp_path / "tampered.zip"
    path.write_bytes(repack(parts))
    before = _counts(media_root)
    with pytest.raises(CommandError) as refused:
        call_command("import_portfolio", str(path), centre=other_centre.centre_number)
    assert str(refused.value) == (
        "The package is refused; nothing was imported:\n"
        "- files/999999 is in the package but not in its manifest (an extra file)."
    )
    assert _counts(media_root) == before


def test_command_needs_the_tutor_named_when_the_centre_has_several(
    portfolio, other_centre, receiving_tutor, tmp_path
):
    from django.core.management import CommandError, call_command

    from accounts.enums import Role
    from tests.factories import MembershipFactory, UserFactory

    MembershipFactory(user=UserFactory(username="tom"), centre=other_centre, role=Role.TUTOR)
    path = tmp_path / "portfolio.zip"
    path.write_bytes(package_of(portfolio.enrolment))
    with pytest.raises(CommandError, match="Name the learner's tutor at Beta Training"):
        call_command("import_portfolio", str(path), centre=other_centre.centre_number)
    with pytest.raises(CommandError, match="bob is not a tutor at Beta Training"):
        call_command("import_portfolio", str(path), centre="B0002", tutor="bob")
    call_command("import_portfolio", str(path), centre="B0002", tutor="tina")
    assert PortfolioImport.objects.get().enrolment.tutor == receiving_tutor
