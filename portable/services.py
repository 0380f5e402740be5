"""Exporting a learner's record as a package, and bringing one into this installation.

The import is one transaction: every row it writes has its audit entry (written in bulk,
`audit.chain.audit_records`), and one entry says where the portfolio came from and the
package's SHA-256. Evidence files are copied to storage before the transaction opens and
deleted again if anything fails, so a refused or failed import leaves nothing behind.

Who is who in the receiving installation:
- the learner is the learner of the receiving centre with the package's e-mail address, or,
  when the centre has none, a new account with no password (the centre admin sends the
  sign-in link as for any new person); an account at another centre is never matched, as
  centres are sealed from each other;
- the tutor is chosen by the receiving centre;
- everyone else who acted on the record there (tutors who decided and signed, moderators) is
  an account kept for the record only, named as they were: inactive, no password, no role.
  They are never matched to an account here, so a package cannot lend its decisions to a
  person of this installation.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from accounts.enums import Role
from accounts.models import Centre, User
from accounts.permissions import has_role
from accounts.services import person_create, role_give
from audit.chain import audit_record, audit_records
from audit.enums import AuditAction
from moderation.models import Sample, SampleDecision
from portable import export
from portable.package import Package
from portfolios.models import (
    CriterionDecision,
    DecisionEvidence,
    Enrolment,
    EnrolmentUnit,
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
    PortfolioImport,
    ReopenedCriterion,
    Reopening,
    ReopeningClosure,
    SignOffAcknowledgement,
    UnitSignOff,
)
from portfolios.uploads import delete_stored, new_storage_name
from qualifications.models import AssessmentCriterion, EvidenceMethod, Qualification, Unit

# ---------------------------------------------------------------- export


def portfolio_export(*, enrolment: Enrolment, by: User | None, target) -> dict:
    """Write the learner's package to the binary file `target` and record that it left."""
    manifest = export.write_package(enrolment, target)
    with transaction.atomic():
        audit_record(
            action=AuditAction.PORTFOLIO_EXPORTED,
            actor=by,
            enrolment=enrolment,
            summary=f"Portfolio of {enrolment.learner} exported as a package",
            data={
                "evidence": len(manifest["evidence"]),
                "decisions": len(manifest["decisions"]),
                "chain_head": manifest["audit"]["chain_head"],
            },
        )
    return manifest


def package_filename(enrolment: Enrolment) -> str:
    name = slugify(f"{enrolment.learner} {enrolment.programme_label}")[:80] or "portfolio"
    return f"portfolio-{name}.zip"


# ---------------------------------------------------------------- import: what would arrive


@dataclass
class ImportPlan:
    """What the package would bring into `centre`, with every unit, criterion and method
    matched here; `problems` names what stops it."""

    centre: Centre
    manifest: dict
    sha256: str
    qualification: Qualification | None = None
    units: dict[int, Unit] = field(default_factory=dict)
    criteria: dict[int, AssessmentCriterion] = field(default_factory=dict)
    methods: dict[int, EvidenceMethod] = field(default_factory=dict)
    learner: User | None = None  # None: a new account
    problems: list[str] = field(default_factory=list)

    @property
    def source_label(self) -> str:
        centre = self.manifest["source"]["centre"]
        return f"{centre['name']} ({centre['number']})"

    @property
    def learner_name(self) -> str:
        return self.manifest["learner"]["name"]

    @property
    def counts(self) -> dict[str, int]:
        m = self.manifest
        return {
            "units": len(m["enrolment"]["units"]),
            "evidence": len(m["evidence"]),
            "files": sum(len(e["files"]) for e in m["evidence"]),
            "decisions": len(m["decisions"]),
            "sign_offs": len(m["sign_offs"]),
            "referrals": len(m["reopenings"]),
            "samples": len(m["samples"]),
            "audit_entries": len(m["audit"]["entries"]),
        }

    @property
    def count_rows(self) -> list[tuple[str, int]]:
        labels = {
            "units": "Units",
            "evidence": "Evidence items",
            "files": "Files",
            "decisions": "Decisions",
            "sign_offs": "Sign-offs",
            "referrals": "Referrals",
            "samples": "Moderation samples",
            "audit_entries": "Audit entries",
        }
        return [(labels[key], n) for key, n in self.counts.items()]

    @property
    def progress(self) -> list[dict]:
        units = {u["id"]: u for u in self.manifest["units"]}
        return [
            {**row, "code": units[row["unit"]]["code"], "title": units[row["unit"]]["title"]}
            for row in self.manifest["progress"]["units"]
            if row["unit"] in units
        ]


def _visible(centre: Centre) -> Q:
    """The shared catalogue and the receiving centre's own."""
    return Q(centre__isnull=True) | Q(centre=centre)


def _references(manifest: dict) -> list[str]:
    """Ids the manifest refers to that it does not hold."""
    people = {p["id"] for p in manifest["people"]} | {manifest["learner"]["id"]}
    units = {u["id"] for u in manifest["units"]}
    criteria = {c["id"] for u in manifest["units"] for c in u["criteria"]}
    evidence = {e["id"] for e in manifest["evidence"]}
    decisions = {d["id"] for d in manifest["decisions"]}
    sign_offs = {s["id"] for s in manifest["sign_offs"]}
    reopenings = {r["id"] for r in manifest["reopenings"]}
    methods = {m["id"] for m in manifest["methods"]}
    problems = []

    def need(value, known, what):
        if value is not None and value not in known:
            problems.append(f"{what} refers to {value}, which the package does not hold.")

    enrolment = manifest["enrolment"]
    need(enrolment["tutor"], people, "The enrolment's tutor")
    for row in enrolment["units"]:
        need(row["unit"], units, "An enrolled unit")
        need(row["withdrawn_by"], people, "A withdrawn unit")
    numbers = [e["number"] for e in manifest["evidence"]]
    if numbers and max(numbers) > enrolment["last_evidence_number"]:
        problems.append(
            f"The enrolment's last evidence number ({enrolment['last_evidence_number']}) is "
            f"below its evidence E{max(numbers):03d}."
        )
    for e in manifest["evidence"]:
        for key in ("created_by", "submitted_by"):
            need(e[key], people, f"Evidence {e['reference']}")
        need(e["method"], methods, f"Evidence {e['reference']}")
        need(e["supersedes"], evidence, f"Evidence {e['reference']}")
        for c in e["criteria"]:
            need(c, criteria, f"Evidence {e['reference']}")
        for f in e["files"]:
            need(f["uploaded_by"], people, f"A file of {e['reference']}")
    for d in manifest["decisions"]:
        need(d["criterion"], criteria, f"Decision {d['id']}")
        need(d["decided_by"], people, f"Decision {d['id']}")
        for key in ("supersedes", "carried_from"):
            need(d[key], decisions, f"Decision {d['id']}")
        for e in d["evidence"]:
            need(e, evidence, f"Decision {d['id']}")
    for s in manifest["sign_offs"]:
        need(s["unit"], units, f"Sign-off {s['id']}")
        need(s["signed_by"], people, f"Sign-off {s['id']}")
        need(s["supersedes"], sign_offs, f"Sign-off {s['id']}")
    for r in manifest["reopenings"]:
        need(r["unit"], units, f"Referral {r['id']}")
        need(r["sign_off"], sign_offs, f"Referral {r['id']}")
        need(r["opened_by"], people, f"Referral {r['id']}")
        for d in r["decisions"]:
            need(d, decisions, f"Referral {r['id']}")
    for sample in manifest["samples"]:
        need(sample["unit"], units, f"Sample {sample['id']}")
        need(sample["opened_by"], people, f"Sample {sample['id']}")
        for d in sample["decisions"]:
            need(d["decided_by"], people, f"Moderation decision {d['id']}")
            need(d["sign_off"], sign_offs, f"Moderation decision {d['id']}")
            need(d["reopening"], reopenings, f"Moderation decision {d['id']}")
    return problems


def import_plan(*, package: Package, centre: Centre) -> ImportPlan:
    """Match the package's qualification, units, criteria and methods in this catalogue (by
    number, code and version), and its learner among the centre's learners."""
    manifest = package.manifest
    plan = ImportPlan(centre=centre, manifest=manifest, sha256=package.sha256)
    plan.problems += _references(manifest)
    earlier = (
        PortfolioImport.objects.filter(package_sha256=package.sha256, enrolment__centre=centre)
        .order_by("imported_at")
        .first()
    )
    if earlier is not None:
        plan.problems.append(
            f"This package was imported here already, on {earlier.imported_at:%d %b %Y %H:%M}."
        )
    q = manifest["qualification"]
    if q is not None:
        plan.qualification = (
            Qualification.objects.filter(_visible(centre), number=q["number"], version=q["version"])
            .order_by("centre")
            .first()
        )
        if plan.qualification is None:
            plan.problems.append(
                f"Qualification {q['number']} version {q['version']} ({q['title']}) is not in "
                "this catalogue: import that version first."
            )
    for u in manifest["units"]:
        match = Unit.objects.filter(_visible(centre), version=u["version"])
        match = match.filter(code=u["code"]) if u["code"] else match.filter(slug=u["slug"])
        unit = match.order_by("centre").first()
        name = f"Unit {u['code'] or u['slug']} version {u['version']} ({u['title']})"
        if unit is None:
            plan.problems.append(f"{name} is not in this catalogue: import that version first.")
            continue
        plan.units[u["id"]] = unit
        here = {c.number: c for c in unit.criteria.all()}
        for c in u["criteria"]:
            if c["number"] not in here:
                plan.problems.append(f"{name} has no criterion {c['number']} here.")
            else:
                plan.criteria[c["id"]] = here[c["number"]]
    slugs = {
        m.slug: m
        for m in EvidenceMethod.objects.filter(slug__in=[m["slug"] for m in manifest["methods"]])
    }
    for m in manifest["methods"]:
        if m["slug"] not in slugs:
            plan.problems.append(
                f"The evidence method {m['name']} ({m['slug']}) is not known here."
            )
        else:
            plan.methods[m["id"]] = slugs[m["slug"]]
    email = manifest["learner"]["email"].strip()
    if email:
        matches = [
            user
            for user in User.objects.filter(email__iexact=email, is_active=True)
            if has_role(user, centre, Role.LEARNER)
        ]
        if len(matches) > 1:
            plan.problems.append(f"More than one learner of {centre.name} uses {email}.")
        plan.learner = matches[0] if len(matches) == 1 else None
    enrolled = (
        plan.learner is not None
        and plan.qualification is not None
        and Enrolment.objects.filter(
            centre=centre, learner=plan.learner, qualification=plan.qualification
        ).exists()
    )
    if enrolled:
        plan.problems.append(
            f"{plan.learner} is already enrolled on {plan.qualification.number} at {centre.name}."
        )
    return plan


# ---------------------------------------------------------------- import: writing it


class _Writer:
    """Writes the rows of one plan, remembering source id → new row for each kind."""

    def __init__(self, plan: ImportPlan, *, tutor: User, by: User | None):
        self.plan, self.m, self.by, self.tutor = plan, plan.manifest, by, tutor
        self.people: dict[int, User] = {}
        self.rows: list = []  # every row written, in order, for the audit
        self.stored: list[str] = []

    def person(self, source_id: int | None) -> User | None:
        return None if source_id is None else self.people[source_id]

    def write_people(self) -> None:
        learner = self.m["learner"]
        if self.plan.learner is None:
            self.plan.learner = person_create(
                first_name=learner["first_name"] or learner["name"],
                last_name=learner["last_name"],
                email=learner["email"],
                by=self.by,
            )
        role_give(centre=self.plan.centre, person=self.plan.learner, role=Role.LEARNER, by=self.by)
        self.people[learner["id"]] = self.plan.learner
        tag = self.plan.sha256[:8]
        for p in self.m["people"]:
            user = User(
                username=_free_username(f"record-{tag}-{p['id']}"),
                first_name=p["first_name"] or p["name"],
                last_name=p["last_name"],
                is_active=False,
            )
            user.set_unusable_password()
            user.full_clean()
            user.save()
            self.people[p["id"]] = user
            self.rows.append((user, f"{user} kept for the record of an imported portfolio"))

    def write_enrolment(self) -> Enrolment:
        e = self.m["enrolment"]
        enrolment = Enrolment(
            centre=self.plan.centre,
            learner=self.plan.learner,
            tutor=self.tutor,
            qualification=self.plan.qualification,
            registration_number=e["registration_number"],
            start_date=datetime.date.fromisoformat(e["start_date"]),
            planned_end_date=datetime.date.fromisoformat(e["planned_end_date"]),
            status=e["status"],
            last_evidence_number=e["last_evidence_number"],
            created_by=self.by,
        )
        # Blank `created_by`: imported from the command line.
        enrolment.full_clean(exclude=["created_by"])
        enrolment.save()
        self.enrolment = enrolment
        self.rows.append((enrolment, "enrolment"))
        for row in e["units"]:
            unit_row = EnrolmentUnit.objects.create(
                enrolment=enrolment,
                unit=self.plan.units[row["unit"]],
                position=row["position"],
                withdrawn_at=_time(row["withdrawn_at"]),
                withdrawn_by=self.person(row["withdrawn_by"]),
                withdrawal_reason=row["withdrawal_reason"],
            )
            self.rows.append((unit_row, "unit"))
        return enrolment

    def write_import(self, counts: dict) -> PortfolioImport:
        source = self.m["source"]
        head = self.m["audit"]["chain_head"]
        self.portfolio_import = PortfolioImport.objects.create(
            enrolment=self.enrolment,
            source_installation=source["installation"],
            source_centre_number=source["centre"]["number"],
            source_centre_name=source["centre"]["name"],
            source_enrolment_id=self.m["enrolment"]["id"],
            exported_at=_time(self.m["exported_at"]),
            package_sha256=self.plan.sha256,
            chain_head_seq=head["seq"],
            chain_head_hash=head["hash"],
            imported_by=self.by,
            summary=counts,
        )
        return self.portfolio_import

    def store_files(self, package: Package) -> dict[int, str]:
        """Copy every evidence file to storage (before the transaction: no lock is held
        during a long copy); {source file id: stored name}."""
        names = {}
        for item in self.m["evidence"]:
            for f in item["files"]:
                with package.open(f["path"]) as source:
                    name = default_storage.save(new_storage_name(), source)
                self.stored.append(name)
                names[f["id"]] = name
        return names

    def write_evidence(self, stored: dict[int, str]) -> None:
        self.evidence: dict[int, Evidence] = {}
        imported = self.portfolio_import
        for e in sorted(self.m["evidence"], key=lambda e: e["number"]):
            item = Evidence(
                enrolment=self.enrolment,
                number=e["number"],
                reference=e["reference"],
                title=e["title"],
                description=e["description"],
                method=self.plan.methods[e["method"]],
                date=datetime.date.fromisoformat(e["date"]),
                text=e["text"],
                workplace_location=e["workplace_location"],
                supersedes=self.evidence.get(e["supersedes"]),
                created_by=self.person(e["created_by"]),
                submitted_at=_time(e["submitted_at"]),
                submitted_by=self.person(e["submitted_by"]),
                declaration=e["declaration"],
                assessed_at=_time(e["assessed_at"]),
                imported_from=imported,
            )
            item.save()
            # When it was first recorded there, not when it arrived.
            item.created_at = _time(e["created_at"])
            Evidence.objects.filter(pk=item.pk).update(created_at=item.created_at)
            self.evidence[e["id"]] = item
            self.rows.append((item, f"evidence {item.reference}"))
            for f in e["files"]:
                stored_file = EvidenceFile.objects.create(
                    evidence=item,
                    file=stored[f["id"]],
                    name=f["name"],
                    size=f["size"],
                    sha256=f["sha256"],
                    content_type=f["content_type"],
                    uploaded_by=self.person(f["uploaded_by"]),
                )
                EvidenceFile.objects.filter(pk=stored_file.pk).update(
                    uploaded_at=_time(f["uploaded_at"])
                )
        EvidenceCriterion.objects.bulk_create(
            EvidenceCriterion(evidence=self.evidence[e["id"]], criterion=self.plan.criteria[c])
            for e in self.m["evidence"]
            for c in e["criteria"]
        )

    def write_assessment(self) -> None:
        imported, criteria = self.portfolio_import, self.plan.criteria
        self.decisions: dict[int, CriterionDecision] = {}
        for d in sorted(self.m["decisions"], key=lambda d: d["id"]):
            decision = CriterionDecision(
                enrolment=self.enrolment,
                criterion=criteria[d["criterion"]],
                outcome=d["outcome"],
                decided_on=datetime.date.fromisoformat(d["decided_on"]),
                feedback=d["feedback"],
                decided_by=self.person(d["decided_by"]),
                decided_at=_time(d["decided_at"]),
                supersedes=self.decisions.get(d["supersedes"]),
                carried_from=self.decisions.get(d["carried_from"]),
                imported_from=imported,
            )
            decision.save()
            self.decisions[d["id"]] = decision
            self.rows.append((decision, f"decision on {decision.criterion.number}"))
        DecisionEvidence.objects.bulk_create(
            DecisionEvidence(decision=self.decisions[d["id"]], evidence=self.evidence[e])
            for d in self.m["decisions"]
            for e in d["evidence"]
        )
        self.sign_offs: dict[int, UnitSignOff] = {}
        for s in sorted(self.m["sign_offs"], key=lambda s: s["id"]):
            sign_off = UnitSignOff(
                enrolment=self.enrolment,
                unit=self.plan.units[s["unit"]],
                signed_by=self.person(s["signed_by"]),
                signature_name=s["signature_name"],
                signed_at=_time(s["signed_at"]),
                comments=s["comments"],
                supersedes=self.sign_offs.get(s["supersedes"]),
                imported_from=imported,
            )
            sign_off.save()
            self.sign_offs[s["id"]] = sign_off
            self.rows.append((sign_off, f"sign-off of {sign_off.unit.code}"))
            ack = s["acknowledgement"]
            if ack is not None:
                acknowledgement = SignOffAcknowledgement(
                    sign_off=sign_off,
                    learner=self.person(ack["learner"]),
                    comment=ack["comment"],
                    acknowledged_at=_time(ack["acknowledged_at"]),
                )
                acknowledgement.save()
                self.rows.append((acknowledgement, "acknowledgement"))
        self.reopenings: dict[int, Reopening] = {}
        for r in sorted(self.m["reopenings"], key=lambda r: r["id"]):
            reopening = Reopening(
                enrolment=self.enrolment,
                unit=self.plan.units[r["unit"]],
                sign_off=self.sign_offs.get(r["sign_off"]),
                reason=r["reason"],
                opened_by=self.person(r["opened_by"]),
                opened_at=_time(r["opened_at"]),
            )
            reopening.save()
            self.reopenings[r["id"]] = reopening
            self.rows.append((reopening, "referral"))
            ReopenedCriterion.objects.bulk_create(
                ReopenedCriterion(reopening=reopening, decision=self.decisions[d])
                for d in r["decisions"]
            )
            if r["closure"] is not None:
                closure = ReopeningClosure(
                    reopening=reopening,
                    closed_by=self.person(r["closure"]["closed_by"]),
                    closed_at=_time(r["closure"]["closed_at"]),
                )
                closure.save()
                self.rows.append((closure, "referral closed"))

    def write_moderation(self) -> None:
        for s in sorted(self.m["samples"], key=lambda s: s["id"]):
            # The sending centre's sampling plans and grants stay there.
            sample = Sample(
                enrolment=self.enrolment,
                unit=self.plan.units[s["unit"]],
                kind=s["kind"],
                opened_by=self.person(s["opened_by"]),
                opened_at=_time(s["opened_at"]),
            )
            sample.save()
            self.rows.append((sample, "sample"))
            written: dict[int, SampleDecision] = {}
            for d in sorted(s["decisions"], key=lambda d: d["id"]):
                decision = SampleDecision(
                    sample=sample,
                    stage=d["stage"],
                    sign_off=self.sign_offs.get(d["sign_off"]),
                    outcome=d["outcome"],
                    comments=d["comments"],
                    required_actions=d["required_actions"],
                    decided_by=self.person(d["decided_by"]),
                    signature_name=d["signature_name"],
                    signed_at=_time(d["signed_at"]),
                    supersedes=written.get(d["supersedes"]),
                    reopening=self.reopenings.get(d["reopening"]),
                )
                decision.save()
                written[d["id"]] = decision
                self.rows.append((decision, "moderation decision"))

    def write_audit(self) -> None:
        source = self.plan.source_label
        audit_records(
            [
                {
                    "action": AuditAction.RECORD_IMPORTED,
                    "actor": self.by,
                    "obj": row,
                    "enrolment": self.enrolment,
                    "summary": f"{what} arrived from {source}",
                    "data": {"package_sha256": self.plan.sha256},
                }
                for row, what in self.rows
            ]
        )
        imported = self.portfolio_import
        audit_record(
            action=AuditAction.PORTFOLIO_IMPORTED,
            actor=self.by,
            obj=imported,
            enrolment=self.enrolment,
            summary=(
                f"Portfolio of {self.plan.learner} imported from centre {source}, package "
                f"sha256 {self.plan.sha256}"
            ),
            data={
                "source_installation": imported.source_installation,
                "source_enrolment": imported.source_enrolment_id,
                "chain_head": self.m["audit"]["chain_head"],
                **imported.summary,
            },
        )


def _time(value: str | None) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


def _free_username(base: str) -> str:
    candidate, n = base, 2
    while User.objects.filter(username__iexact=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def tutors_of(centre: Centre):
    return User.objects.filter(
        memberships__centre=centre,
        memberships__role=Role.TUTOR,
        memberships__is_active=True,
        is_active=True,
    ).distinct()


def portfolio_import(
    *, package: Package, centre: Centre, tutor: User, by: User | None
) -> PortfolioImport:
    """Bring the checked package into `centre`, all of it or nothing (ValidationError naming
    each problem)."""
    plan = import_plan(package=package, centre=centre)
    if not has_role(tutor, centre, Role.TUTOR):
        plan.problems.append(f"{tutor} is not a tutor at {centre.name}.")
    if plan.problems:
        raise ValidationError(plan.problems)
    writer = _Writer(plan, tutor=tutor, by=by)
    try:
        stored = writer.store_files(package)
        with transaction.atomic():
            writer.write_people()
            writer.write_enrolment()
            writer.write_import(plan.counts)
            writer.write_evidence(stored)
            writer.write_assessment()
            writer.write_moderation()
            writer.write_audit()
    except BaseException:
        delete_stored(writer.stored)
        raise
    return writer.portfolio_import
