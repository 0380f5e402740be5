"""Writing the rows of an import plan, remembering for each kind which new row stands for
which row of the sending installation, and the audit entries of them all."""

import datetime

from django.core.files.storage import default_storage

from accounts.enums import Role
from accounts.models import User
from accounts.services import person_create, role_give
from audit.chain import audit_record, audit_records
from audit.enums import AuditAction
from moderation.models import Sample, SampleDecision
from portable.package import Package
from portable.plan import ImportPlan
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
from portfolios.uploads import new_storage_name


class RecordWriter:
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
                    **d.get("vacs", {}),
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
