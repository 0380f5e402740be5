"""A centre of any size built with bulk inserts, for the benches (`dashboard.py`, `load.py`).

Django must be set up before this module is imported (the benches set their settings first).

The rows are the ones the services write, in a handful of statements per table instead of a
few per learner: people with their roles, enrolments on the 39-unit diploma's five mandatory
units (in the qualification's own order), four evidence items each (mapped, submitted with
the declaration; two of them assessed, two waiting), the tutors' decisions resting on that
evidence, a sampling plan per tutor, and the audit entries the services write for each of
these (through `audit.chain.audit_records`, so the chain is the one the services would have
written and `manage.py verify_audit` passes). What the pages show is computed from these rows
by `portfolios.state`, exactly as for rows the services wrote.

Every other learner has met the first half of the criteria; the others have two criteria
decided "not yet met". Start dates are spread over the last year.
"""

import copy
import datetime
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Centre, Membership, User
from audit.chain import audit_records
from audit.enums import AuditAction
from moderation.models import SamplingPlan
from portfolios.enums import DECLARATION_TEXT, DecisionOutcome
from portfolios.models import (
    CriterionDecision,
    DecisionEvidence,
    Enrolment,
    EnrolmentUnit,
    Evidence,
    EvidenceCriterion,
)
from qualifications.models import AssessmentCriterion, EvidenceMethod, Qualification

DIPLOMA = "601/3734/4"
EVIDENCE_PER_LEARNER = 4
BATCH = 2000


@dataclass
class BuiltCentre:
    centre: Centre
    admin: User
    tutors: list[User]
    learners: list[User]
    enrolments: list[Enrolment]
    admins: list[User]


def _people(centre, names, role, password_hash, entries, by=None):
    users = User.objects.bulk_create(
        [
            User(
                username=name,
                first_name=name.split("-")[0].title(),
                last_name=f"Bench {name.rsplit('-', 1)[-1]}",
                email=f"{name}@bench.example.org",
                password=password_hash,
            )
            for name in names
        ],
        batch_size=BATCH,
    )
    memberships = Membership.objects.bulk_create(
        [Membership(user=u, centre=centre, role=role) for u in users], batch_size=BATCH
    )
    # What `accounts.services.person_add` writes for each.
    for user, membership in zip(users, memberships, strict=True):
        entries.append(
            {
                "action": AuditAction.PERSON_ADDED,
                "actor": by,
                "obj": user,
                "summary": f"Account made for {user} <{user.email}>",
                "data": {"username": user.username},
            }
        )
        entries.append(
            {
                "action": AuditAction.ROLE_GIVEN,
                "actor": by,
                "centre": centre,
                "obj": membership,
                "summary": f"{user} is {Role(role).label.lower()} at {centre.name}",
                "data": {"person": user.pk, "role": Role(role).value, "again": False},
            }
        )
    return users


def _unit_key(unit) -> str:
    return unit.code or unit.slug


@transaction.atomic
def build_centre(
    size: int,
    *,
    tutors: int = 12,
    prefix: str | None = None,
    password: str | None = None,
    audit: bool = True,
    admins: int = 1,
) -> BuiltCentre:
    """A centre with `size` learners. `password`: everyone's (hashed once); else none works.
    `audit=False` leaves out the entries of people, enrolments, evidence and decisions (most
    of the build's time at thousands of learners): the pages read none of them, but
    `verify_audit` then names those rows."""
    prefix = prefix or f"c{size}"
    # One hash for everyone: hashing thousands of passwords would be most of the build.
    password_hash = make_password(password)
    centre = Centre.objects.create(name=f"Bench centre {prefix}", centre_number=f"BENCH-{prefix}")
    people = []  # their audit entries
    admin_users = _people(
        centre,
        [f"admin-{prefix}"] + [f"admin-{prefix}-{n}" for n in range(1, admins)],
        Role.CENTRE_ADMIN,
        password_hash,
        people,
    )
    admin = admin_users[0]
    tutor_users = _people(
        centre,
        [f"tutor-{prefix}-{n:02d}" for n in range(tutors)],
        Role.TUTOR,
        password_hash,
        people,
        by=admin,
    )
    learners = _people(
        centre,
        [f"learner-{prefix}-{n:04d}" for n in range(size)],
        Role.LEARNER,
        password_hash,
        people,
        by=admin,
    )

    diploma = Qualification.objects.get(number=DIPLOMA)
    links = list(diploma.qualification_units.select_related("unit", "group").order_by("position"))
    mandatory = [(link.position, link.unit) for link in links if link.group.is_mandatory]
    criteria = list(
        AssessmentCriterion.objects.filter(unit__in=[u for _, u in mandatory])
        .select_related("unit")
        .order_by("unit_id", "sort_key", "pk")
    )
    half, quarter = len(criteria) // 2, len(criteria) // 4
    # Which criteria each item is mapped to: E001 and E002 the first half (assessed), E003
    # and E004 three criteria each beyond it (waiting for the tutor).
    mapped = {
        1: criteria[:quarter],
        2: criteria[quarter:half],
        3: criteria[half : half + 3],
        4: criteria[half + 3 : half + 6],
    }
    method = EvidenceMethod.objects.get(slug="reflective-account")
    today, now = timezone.localdate(), timezone.now()

    enrolments = []
    for n, learner in enumerate(learners):
        start = today - datetime.timedelta(days=(n * 7) % 365)
        enrolments.append(
            Enrolment(
                centre=centre,
                learner=learner,
                tutor=tutor_users[n % tutors],
                qualification=diploma,
                start_date=start,
                planned_end_date=start + datetime.timedelta(days=365),
                last_evidence_number=EVIDENCE_PER_LEARNER,
                created_by=admin,
            )
        )
    Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
    units = EnrolmentUnit.objects.bulk_create(
        [
            EnrolmentUnit(enrolment=e, unit=unit, position=position)
            for e in enrolments
            for position, unit in mandatory
        ],
        batch_size=BATCH,
    )

    evidence = []
    for n, e in enumerate(enrolments):
        for number in range(1, EVIDENCE_PER_LEARNER + 1):
            evidence.append(
                Evidence(
                    enrolment=e,
                    number=number,
                    reference=Evidence.reference_for(number),
                    title=f"Evidence {number}",
                    method=method,
                    date=today,
                    text="Reflective account.",
                    created_by=e.learner,
                    submitted_at=now - datetime.timedelta(days=n % 30, hours=number),
                    submitted_by=e.learner,
                    declaration=DECLARATION_TEXT,
                    assessed_at=now if number <= 2 else None,
                )
            )
    Evidence.objects.bulk_create(evidence, batch_size=BATCH)
    EvidenceCriterion.objects.bulk_create(
        [
            EvidenceCriterion(evidence=item, criterion=c)
            for item in evidence
            for c in mapped[item.number]
        ],
        batch_size=BATCH * 5,
    )

    decisions, rests_on = [], []
    for n, e in enumerate(enrolments):
        items = evidence[n * EVIDENCE_PER_LEARNER : (n + 1) * EVIDENCE_PER_LEARNER]
        if n % 2 == 0:
            chosen = [
                (c, items[0 if i < quarter else 1], "") for i, c in enumerate(criteria[:half])
            ]
            outcome = DecisionOutcome.MET
        else:
            chosen = [
                (criteria[0], items[0], "Say what you did, not what should be done."),
                (criteria[quarter], items[1], "Add the customer's feedback."),
            ]
            outcome = DecisionOutcome.NOT_YET_MET
        for c, item, feedback in chosen:
            decisions.append(
                CriterionDecision(
                    enrolment=e,
                    criterion=c,
                    unit_id=c.unit_id,
                    outcome=outcome,
                    decided_on=today,
                    feedback=feedback,
                    decided_by=e.tutor,
                    decided_at=now,
                )
            )
            rests_on.append(item)
    CriterionDecision.objects.bulk_create(decisions, batch_size=BATCH)
    DecisionEvidence.objects.bulk_create(
        [
            DecisionEvidence(decision=d, evidence=item)
            for d, item in zip(decisions, rests_on, strict=True)
        ],
        batch_size=BATCH * 5,
    )
    plans = SamplingPlan.objects.bulk_create(
        [
            SamplingPlan(centre=centre, qualification=diploma, tutor=t, created_by=admin)
            for t in tutor_users
        ]
    )
    entries = _entries(centre, admin, enrolments, units, evidence, decisions, rests_on, mapped)
    audit_records((people + entries if audit else []) + _plan_entries(admin, plans))
    return BuiltCentre(centre, admin, tutor_users, learners, enrolments, admin_users)


def _entries(centre, admin, enrolments, units, evidence, decisions, rests_on, mapped):
    """The audit entries the services write for these rows, in the order they would."""
    entries = []
    units_of = {}
    for row in units:
        units_of.setdefault(row.enrolment_id, []).append(row)
    for e in enrolments:
        entries.append(
            {
                "action": AuditAction.ENROLMENT_CREATED,
                "actor": admin,
                "enrolment": e,
                "obj": e,
                "summary": f"{e.learner} enrolled on {e.programme_label}",
                "data": {
                    "learner": e.learner_id,
                    "tutor": e.tutor_id,
                    "registration_number": e.registration_number,
                    "start_date": e.start_date,
                    "planned_end_date": e.planned_end_date,
                    "status": e.status,
                },
            }
        )
        entries.extend(
            {
                "action": AuditAction.UNIT_ADDED,
                "actor": admin,
                "enrolment": e,
                "obj": row,
                "summary": f"{row.unit.code} {row.unit.title} added".strip(),
                "data": {"unit": _unit_key(row.unit)},
            }
            for row in units_of[e.pk]
        )
    for item in evidence:
        common = {
            "actor": item.created_by,
            "enrolment": item.enrolment,
            "obj": item,
        }
        data = {
            "reference": item.reference,
            "files": [],
            "criteria": sorted(c.pk for c in mapped[item.number]),
        }
        # The item as the learner added it (a draft: its digest is of that), then submitted.
        draft = copy.copy(item)
        draft.submitted_at, draft.submitted_by, draft.declaration = None, None, ""
        entries.append(
            {
                **common,
                "obj": draft,
                "action": AuditAction.EVIDENCE_CREATED,
                "summary": f"{item.reference} {item.title}: added",
                "data": data,
            }
        )
        entries.append(
            {
                **common,
                "action": AuditAction.EVIDENCE_SUBMITTED,
                "summary": f"{item.reference} {item.title}: submitted with the learner's "
                "declaration",
                "data": {**data, "declaration": item.declaration},
            }
        )
    for d, item in zip(decisions, rests_on, strict=True):
        unit = d.criterion.unit
        entries.append(
            {
                "action": AuditAction.DECISION,
                "actor": d.decided_by,
                "enrolment": d.enrolment,
                "obj": d,
                "summary": f"{unit.code} {unit.title} {d.criterion.shown_number}: "
                f"{d.get_outcome_display()}".strip(),
                "data": {
                    "criterion": d.criterion.number,
                    "unit": _unit_key(unit),
                    "outcome": d.outcome,
                    "decided_on": d.decided_on,
                    "feedback": d.feedback,
                    "supersedes": None,
                    "evidence": [item.pk],
                },
            }
        )
    return entries


def _plan_entries(admin, plans):
    """What `moderation.services` writes for each sampling plan (always written: the centre's
    last entry is what its dashboard's cached summary is keyed on)."""
    return [
        {
            "action": AuditAction.PLAN_SAVED,
            "actor": admin,
            "centre": plan.centre,
            "obj": plan,
            "summary": f"Sampling plan for {plan.tutor} on {plan.qualification.number}: "
            f"learners {plan.learner_rate}%, units {plan.unit_rate}%",
            "data": {"tutor": plan.tutor_id, "qualification": plan.qualification.number},
        }
        for plan in plans
    ]
