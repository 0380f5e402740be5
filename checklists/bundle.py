"""The EQA bundle: a learner's portfolio as one ZIP for an external moderator.

It holds every submitted evidence file and written account (under evidence/<reference>/), each
unit's filled checklist, an index of the evidence
by portfolio reference and criteria, the full history of the tutor's decisions, the sign-offs
and the moderators' decisions, and the units with the specification version the learner is on
and their grades. Files are copied from storage into the archive in chunks, and
the archive is written to a SpooledTemporaryFile that moves to disk once it grows past a few
megabytes, so no file is ever held in memory whole, however large the portfolio.
"""

import csv
import io
import shutil
import tempfile
import zipfile
from collections import defaultdict

from django.conf import settings
from django.utils import timezone

from audit.chain import chain_head
from checklists.services import enrolment_checklist_archival, enrolment_unit_checklists
from moderation.models import SampleDecision
from portfolios.achievement import spec_label
from portfolios.enums import DecisionOutcome
from portfolios.models import (
    CriterionDecision,
    DecisionEvidence,
    EnrolmentUnit,
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
    SignOffAcknowledgement,
    UnitSignOff,
)
from portfolios.record import achievements_for
from portfolios.state import effective_outcome
from portfolios.uploads import clean_display_name, open_stored
from qualifications.spreadsheets import escape_formula

SPOOL_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024


def _csv(rows, header) -> bytes:
    # A spreadsheet or a script reads columns by name: two of one name lose one of them.
    if len(set(header)) != len(header):
        raise ValueError(f"Column names repeat: {header}")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_formula(v) if isinstance(v, str) else v for v in row])
    # A byte-order mark so that spreadsheet programs read the UTF-8 names right.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _unit(unit) -> str:
    return unit.code or unit.title


def _standing(decision) -> str:
    """How the record counts a decision now (`portfolios.state`)."""
    if getattr(decision, "superseded_by", None) is not None:
        return "superseded"
    return DecisionOutcome(
        effective_outcome(decision.outcome, reopened=decision.reopened)
    ).label + (" (reopened by a referral)" if decision.reopened else "")


def _specification(enrolment) -> str:
    """The qualification and version the learner is assessed against."""
    qualification = enrolment.qualification
    if qualification is None:
        return "short course (see units.csv for the unit's version)"
    return spec_label(qualification.number, qualification.version)


def _qualification_grade(achievement, *, whole: bool) -> list[str]:
    """The qualification's grade line: only in a bundle of every unit (it rests on all)."""
    if not whole or achievement.qualification is None:
        return []
    return [f"Qualification grade: {achievement.qualification.summary}"]


def _written(evidence) -> str:
    """An item's own words, as the learner wrote them, under its reference and title."""
    parts = [f"{evidence.reference} {evidence.title}", f"{evidence.method.name}, {evidence.date}"]
    for heading, words in (
        ("Description", evidence.description),
        ("Written account", evidence.text),
        ("Kept in the workplace at", evidence.workplace_location),
    ):
        if words:
            parts += ["", heading, "-" * len(heading), words]
    return "\n".join(parts) + "\n"


def bundle_filename(enrolment) -> str:
    learner = clean_display_name(str(enrolment.learner)).replace(" ", "-")
    return f"eqa-bundle-{learner}-{enrolment.pk}-{timezone.localdate():%Y%m%d}.zip"


def _vacs(decision) -> str:
    """The internal moderator's four judgements, with the reason for each "no"; empty for an
    external moderator (who is not asked)."""
    return "; ".join(
        f"{label}: yes" if judged else f"{label}: no ({note})"
        for label, judged, note in decision.vacs
    )


def build_bundle(enrolment, *, by, unit_ids=None) -> tempfile.SpooledTemporaryFile:
    """Write the bundle and return it, rewound, ready to stream. A fixed number of queries.

    With `unit_ids` (an external moderator granted only some units) it holds only those units'
    record, and only the evidence mapped to them.
    """
    # Drafts are the learner's own until submitted: no bundle holds them.
    evidence = Evidence.objects.submitted().with_state().filter(enrolment=enrolment)
    decisions = CriterionDecision.objects.filter(enrolment=enrolment).with_reopened()
    sign_offs = UnitSignOff.objects.filter(enrolment=enrolment)
    sample_decisions = SampleDecision.objects.filter(sample__enrolment=enrolment)
    linked = EvidenceCriterion.objects.all()
    if unit_ids is not None:
        evidence = evidence.filter(links__criterion__unit_id__in=unit_ids).distinct()
        decisions = decisions.filter(unit_id__in=unit_ids)
        sign_offs = sign_offs.filter(unit_id__in=unit_ids)
        sample_decisions = sample_decisions.filter(sample__unit_id__in=unit_ids)
        linked = linked.filter(criterion__unit_id__in=unit_ids)
    evidence = list(evidence.select_related("method", "supersedes").order_by("number"))
    links = defaultdict(list)
    for evidence_id, unit, number, label in (
        linked.filter(evidence__in=[e.pk for e in evidence])
        .select_related("criterion__unit")
        .order_by("criterion__unit_id", "criterion__sort_key")
        .values_list(
            "evidence_id", "criterion__unit__code", "criterion__number", "criterion__label"
        )
    ):
        links[evidence_id].append(f"{unit} {label or number}".strip())
    files = list(EvidenceFile.objects.filter(evidence__in=[e.pk for e in evidence]).order_by("pk"))
    files_by_evidence = defaultdict(list)
    for f in files:
        files_by_evidence[f.evidence_id].append(f)
    references = {e.pk: e.reference for e in evidence}
    decisions = list(
        decisions.select_related("criterion", "unit", "decided_by", "superseded_by").order_by(
            "unit_id", "criterion__sort_key", "decided_at", "pk"
        )
    )
    decision_evidence = defaultdict(list)
    for decision_id, evidence_id in DecisionEvidence.objects.filter(
        decision__in=[d.pk for d in decisions]
    ).values_list("decision_id", "evidence_id"):
        decision_evidence[decision_id].append(references.get(evidence_id, str(evidence_id)))
    sign_offs = list(sign_offs.select_related("unit").order_by("unit_id", "signed_at", "pk"))
    acks = {
        a.sign_off_id: a
        for a in SignOffAcknowledgement.objects.filter(sign_off__in=[s.pk for s in sign_offs])
    }
    sample_decisions = list(
        sample_decisions.select_related("sample__unit")
        .prefetch_related("reopening__reopened_criteria__decision__criterion")
        .order_by("sample__unit_id", "sample__kind", "signed_at", "pk")
    )
    taken = EnrolmentUnit.objects.current().filter(enrolment=enrolment)
    if unit_ids is not None:
        taken = taken.filter(unit_id__in=unit_ids)
    taken = [row.unit for row in taken.select_related("unit").order_by("position", "pk")]
    achievement = achievements_for([enrolment])[enrolment.pk]
    head_seq, head_hash = chain_head()

    # Returned open for the response to stream and close; not a `with` block on purpose.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        index_rows = []
        for e in evidence:
            names = []
            used = set()
            for f in files_by_evidence[e.pk]:
                name = clean_display_name(f.name)
                if name.lower() in used:
                    name = f"{f.pk}-{name}"
                used.add(name.lower())
                arcname = f"evidence/{e.reference}/{name}"
                names.append(arcname)
                # ZIP64 on: a single video may pass 2 GiB.
                with (
                    open_stored(f.file.name) as source,
                    archive.open(arcname, "w", force_zip64=True) as target,
                ):
                    shutil.copyfileobj(source, target, CHUNK_BYTES)
            if e.text or e.description or e.workplace_location:
                # The words of the item travel with its files: a written account is often
                # the whole of the evidence.
                arcname = f"evidence/{e.reference}/written-account.txt"
                archive.writestr(arcname, _written(e))
                names.append(arcname)
            index_rows.append(
                [
                    e.reference,
                    e.title,
                    e.method.name,
                    e.date.isoformat(),
                    _when(e.submitted_at),
                    _when(e.assessed_at),
                    "; ".join(links[e.pk]),
                    e.workplace_location,
                    e.supersedes.reference if e.supersedes_id else "",
                    e.state.label,
                    "; ".join(names),
                    "; ".join(f.sha256 for f in files_by_evidence[e.pk]),
                ]
            )
        archive.writestr(
            "index.csv",
            _csv(
                index_rows,
                [
                    "Portfolio reference",
                    "Title",
                    "Evidence method",
                    "Date",
                    "Submitted",
                    "Assessed",
                    "Criteria",
                    "Kept in the workplace at",
                    "Corrects",
                    "State",
                    "Files",
                    "SHA-256 of the files",
                ],
            ),
        )
        archive.writestr(
            "decisions.csv",
            _csv(
                [
                    [
                        _unit(d.unit),
                        d.criterion.number,
                        d.get_outcome_display(),
                        d.decided_on.isoformat(),
                        _when(d.decided_at),
                        str(d.decided_by),
                        d.feedback,
                        "; ".join(sorted(decision_evidence[d.pk])),
                        d.supersedes_id or "",
                        d.pk,
                        _standing(d),
                        d.criterion.shown_number,
                        d.criterion.get_grade_display() if d.criterion.grade else "",
                    ]
                    for d in decisions
                ],
                [
                    "Unit",
                    "Criterion",
                    "Outcome",
                    "Date",
                    "Recorded at",
                    "Tutor",
                    "Feedback",
                    "Evidence",
                    "Supersedes decision id",
                    "Decision id",
                    "Standing",
                    "Printed as",
                    "Grade band",
                ],
            ),
        )
        archive.writestr(
            "units.csv",
            _csv(
                [
                    [
                        u.code,
                        u.title,
                        u.version,
                        u.credit_value if u.credit_value is not None else "",
                        achievement.units[u.pk].grade_text,
                        achievement.units[u.pk].needs,
                    ]
                    for u in taken
                ],
                ["Unit", "Title", "Version", "Credits", "Grade", "Next grade needs"],
            ),
        )
        archive.writestr(
            "sign-offs.csv",
            _csv(
                [
                    [
                        _unit(s.unit),
                        s.signature_name,
                        _when(s.signed_at),
                        s.comments,
                        acks[s.pk].comment if s.pk in acks else "",
                        _when(acks[s.pk].acknowledged_at) if s.pk in acks else "",
                    ]
                    for s in sign_offs
                ],
                [
                    "Unit",
                    "Tutor",
                    "Signed",
                    "Tutor comments",
                    "Learner comment",
                    "Learner acknowledged",
                ],
            ),
        )
        archive.writestr(
            "moderation.csv",
            _csv(
                [
                    [
                        _unit(d.sample.unit),
                        d.sample.get_kind_display(),
                        d.get_stage_display(),
                        d.get_outcome_display(),
                        d.signature_name,
                        _when(d.signed_at),
                        d.comments,
                        d.required_actions,
                        ", ".join(r.decision.criterion.number for r in d.reopened.all()),
                        _vacs(d),
                    ]
                    for d in sample_decisions
                ],
                [
                    "Unit",
                    "Moderator",
                    "Stage",
                    "Outcome",
                    "Name",
                    "Signed",
                    "Comments",
                    "Actions required",
                    "Criteria reopened",
                    "VACS checklist",
                ],
            ),
        )
        checklist = enrolment_checklist_archival(enrolment=enrolment, unit_ids=unit_ids)
        if checklist is not None:
            archive.writestr("checklist.pdf", checklist)
        for name, pdf in enrolment_unit_checklists(enrolment=enrolment, unit_ids=unit_ids):
            archive.writestr(f"checklists/{name}", pdf)
        archive.writestr(
            "README.txt",
            "\n".join(
                [
                    f"EQA bundle from {settings.SITE_NAME}",
                    f"Learner: {enrolment.learner}",
                    f"Programme: {enrolment.programme_label}",
                    f"Specification: {_specification(enrolment)}",
                    *_qualification_grade(achievement, whole=unit_ids is None),
                    f"Centre: {enrolment.centre}",
                    f"Registration number: {enrolment.registration_number or '-'}",
                    f"Made: {_when(timezone.now())} for {by}",
                    f"Evidence items: {len(evidence)}; files: {len(files)}",
                    f"Audit chain head: #{head_seq} {head_hash}",
                    "",
                    "index.csv       the submitted evidence by portfolio reference, with criteria",
                    "decisions.csv   every decision of the tutor, oldest first per criterion",
                    "sign-offs.csv   unit sign-offs and the learner's acknowledgements",
                    "moderation.csv  internal and external moderators' decisions, with the",
                    "                internal moderator's VACS checklist (valid, authentic,",
                    "                current, sufficient)",
                    "units.csv       the units with the version the learner is on, and grades",
                    "checklist.pdf   the learner unit achievement checklist, filled in (PDF/A-3b)",
                    "checklists/     each unit's assessment checklist, filled in: one PDF a unit",
                    "evidence/       the files, one folder per portfolio reference, with each",
                    "                item's written account (written-account.txt)",
                    "",
                ]
            ),
        )
    spool.seek(0)
    return spool
