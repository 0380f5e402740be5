"""What a checked package would bring into a centre: its qualification, units, criteria and
evidence methods matched in this catalogue (by number, code and version), its learner among the
centre's learners, and every reason it cannot arrive, each named."""

from dataclasses import dataclass, field

from django.db.models import Q

from accounts.enums import Role
from accounts.models import Centre, User
from accounts.permissions import has_role
from portable.package import Package
from portfolios.models import Enrolment, PortfolioImport
from qualifications.models import AssessmentCriterion, EvidenceMethod, Qualification, Unit


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


def tutors_of(centre: Centre):
    return User.objects.filter(
        memberships__centre=centre,
        memberships__role=Role.TUTOR,
        memberships__is_active=True,
        is_active=True,
    ).distinct()
