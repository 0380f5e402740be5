"""The shared scenario of the access matrix (tests/test_access_matrix.py).

Centre A: alice's enrolment (tutor bob) with a submitted item and its file; unit A met, signed
off and referred back by the internal moderator; unit B not yet met and referred at the interim
stage; a draft with its file; dora's enrolment (tutor tess); a whole-enrolment, a unit-only
(unit A) and an expired EQA grant; a sampling plan, a finished cohort print, a class-list upload
and alice's notifications. Centre B: zeb's enrolment with an item decided and signed off, whose
markers must never show on a page at centre A.

Everything is built through the project's services and factories, and the assessment helpers
of tests/moderation/conftest.py. The model imports are here, in one place, so that moving a
model between apps means changing only these lines.
"""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from accounts import services as account_services
from accounts import tokens as account_tokens
from accounts.enums import Role
from accounts.models import Centre, Membership, Notification, User
from audit.models import AccessLogEntry
from centres.models import IntakeUpload
from checklists.enums import CohortPrintStatus
from checklists.models import CachedChecklist, CohortPrint
from moderation import services as moderation_services
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.models import SamplingPlan
from moderation.vacs import VACS_ALL_YES
from portfolios import methods as portfolio_methods
from portfolios import services as portfolio_services
from portfolios.enums import DecisionOutcome
from portfolios.models import Enrolment, EqaGrant, Evidence, EvidenceFile
from qualifications.enums import STANDARD_EVIDENCE_METHODS
from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    EvidenceMethod,
    Qualification,
    QualificationUnit,
    Unit,
    UnitGroup,
)
from tests.factories import PASSWORD, CentreFactory, MembershipFactory, UserFactory
from tests.moderation.conftest import add_evidence, criteria, decide, moderate, sign
from tests.portfolios.helpers import make_unit, minimal_pdf

# What only centre B holds: none of it may appear on a page opened at centre A.
OTHER_CENTRE_MARKERS = ("Quartermaine", "Beta-only secret reflection", "Beta-only sign-off")
# Alice's surname: a learner or tutor with no link to her must not read it anywhere.
OWNER_MARKER = "Applewhite"
# A draft is the learner's own until submitted: no external moderator reads it (issue 10).
DRAFT_MARKER = "Unsubmitted musings"
# Unit B's decisions and referral: a grant of unit A alone must not show them.
UNIT_B_MARKER = "Unit-B-only remark"

# The apps whose rows a forged POST must leave as they were (an `audit` app is added when it
# exists). The access log records what an external moderator opened and the cached PDFs are a
# cache: neither is the learner's record.
SNAPSHOT_APPS = (
    "accounts",
    "qualifications",
    "portfolios",
    "moderation",
    "audit",
    "checklists",
    "centres",
)
SNAPSHOT_SKIP = {AccessLogEntry, CachedChecklist}
SNAPSHOT_SKIP_FIELDS = {User: {"last_login"}}

ACTORS = (
    "anonymous",
    "owner",
    "other_learner",
    "tutor",
    "other_tutor",
    "iqa",
    "eqa",
    "eqa_unit",
    "eqa_expired",
    "admin",
    "other_admin",
)

INTAKE_CSV = (
    b"first_name,last_name,email,tutor_email,qualification_number,start_date,planned_end_date\r\n"
    b"New,Starter,new.starter@example.org,bob@example.org,600/0001/1,2026-01-05,2026-12-18\r\n"
)


@dataclass
class Scenario:
    actors: dict
    centre: Centre
    other_centre: Centre
    qualification: Qualification
    unit_a: Unit
    unit_b: Unit
    criterion_a: AssessmentCriterion
    criterion_b: AssessmentCriterion
    enrolment: Enrolment
    other_learner_enrolment: Enrolment
    other_enrolment: Enrolment
    submitted: Evidence
    draft: Evidence
    submitted_file: EvidenceFile
    draft_file: EvidenceFile
    grant: EqaGrant
    plan: SamplingPlan
    cohort_print: CohortPrint
    intake_upload: IntakeUpload
    notification: Notification
    owner_membership: Membership
    extra: dict = field(default_factory=dict)


def _person(username, first_name, last_name, centre, *roles):
    user = UserFactory(username=username, first_name=first_name, last_name=last_name)
    for role in roles:
        MembershipFactory(user=user, centre=centre, role=role)
    return user


def _catalogue():
    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    qualification = Qualification.objects.create(
        number="600/0001/1", title="Level 2 Diploma in Testing", awarding_body=body, level=2
    )
    group = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True
    )
    unit_a = make_unit("A/100/0001", "Deliver customer service", outcomes=2, criteria=2)
    unit_b = make_unit("A/100/0002", "Communicate with customers", outcomes=1, criteria=2)
    for position, unit in enumerate([unit_a, unit_b]):
        QualificationUnit.objects.create(
            qualification=qualification, unit=unit, group=group, position=position
        )
    return qualification, unit_a, unit_b


def _own_unit(centre) -> str:
    unit = make_unit("", "Alpha in-house induction", outcomes=1, criteria=1)
    Unit.objects.filter(pk=unit.pk).update(centre=centre)
    return unit.slug


def _enrol(qualification, units, *, centre, learner, tutor, by):
    return portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=qualification,
        units=units,
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=by,
    )


def _grant(centre, admin, moderator, **opened):
    now = timezone.now()
    return moderation_services.grant_create(
        centre=centre,
        by=admin,
        moderator=moderator,
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=7),
        **opened,
    )


def _witness_token(enrolment, tutor, criteria_list) -> str:
    """A witness request of alice's tutor: the token its e-mail would carry."""
    tokens = []
    portfolio_methods.witness_request_create(
        enrolment=enrolment,
        by=tutor,
        witness_email="wendy.witness@example.org",
        criteria=criteria_list,
        days=14,
        link_for=lambda token: tokens.append(token) or f"http://testserver/{token}/",
    )
    return tokens[0]


def build_scenario() -> Scenario:
    for position, (slug, name) in enumerate(STANDARD_EVIDENCE_METHODS):
        EvidenceMethod.objects.get_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )
    centre = CentreFactory(name="Alpha College", centre_number="A0001")
    other_centre = CentreFactory(name="Beta Training", centre_number="B0002")
    alice = _person("alice", "Alice", OWNER_MARKER, centre, Role.LEARNER)
    dora = _person("dora", "Dora", "Second", centre, Role.LEARNER)
    bob = _person("bob", "Bob", "Tutor", centre, Role.TUTOR)
    tess = _person("tess", "Tess", "Tutor", centre, Role.TUTOR)
    ivy = _person("ivy", "Ivy", "Internal", centre, Role.INTERNAL_MODERATOR)
    eric = _person("eric", "Eric", "External", centre, Role.EXTERNAL_MODERATOR)
    una = _person("una", "Una", "Unitonly", centre, Role.EXTERNAL_MODERATOR)
    ed = _person("ed", "Ed", "Expired", centre, Role.EXTERNAL_MODERATOR)
    carol = _person("carol", "Carol", "Admin", centre, Role.CENTRE_ADMIN)
    # Not an actor: a learner of centre A with no enrolment yet, for the forged enrolment.
    nell = _person("nell", "Nell", "Newcomer", centre, Role.LEARNER)
    # As conftest's charlie: every role, but only at centre B.
    bea = _person("bea", "Bea", "Beta", other_centre, *Role)
    zeb = _person("zeb", "Zebedee", OTHER_CENTRE_MARKERS[0], other_centre, Role.LEARNER)

    qualification, unit_a, unit_b = _catalogue()
    units = [unit_a, unit_b]
    enrolment = _enrol(qualification, units, centre=centre, learner=alice, tutor=bob, by=carol)
    dora_enrolment = _enrol(qualification, units, centre=centre, learner=dora, tutor=tess, by=carol)
    other_enrolment = _enrol(
        qualification, units, centre=other_centre, learner=zeb, tutor=bea, by=bea
    )

    # Alice's record: unit A evidenced, met, signed, then referred back by the IQA.
    submitted = add_evidence(
        enrolment, alice, criteria_list=criteria(unit_a) + criteria(unit_b)[:1], title="Complaint"
    )
    decide(enrolment, bob, criteria(unit_a), evidence=submitted)
    sign(enrolment, unit_a, bob)
    moderate(
        enrolment,
        unit_a,
        ivy,
        SampleOutcome.REFERRED,
        kind=ModeratorKind.INTERNAL,
        reopen_criteria=criteria(unit_a)[:1],
    )
    # Unit B: not yet met, and referred back at the interim stage.
    decide(
        enrolment,
        bob,
        criteria(unit_b)[:1],
        DecisionOutcome.NOT_YET_MET,
        evidence=submitted,
        feedback=f"{UNIT_B_MARKER}: give a second example.",
    )
    moderation_services.sample_decide(
        enrolment=enrolment,
        unit=unit_b,
        kind=ModeratorKind.INTERNAL,
        vacs=VACS_ALL_YES,
        by=ivy,
        outcome=SampleOutcome.REFERRED,
        comments="Sampled early.",
        required_actions=f"{UNIT_B_MARKER}: ask the learner for a witness statement.",
        reopen_criteria=criteria(unit_b)[:1],
        password=PASSWORD,
    )
    draft = add_evidence(
        enrolment,
        alice,
        criteria_list=criteria(unit_a)[:1] + criteria(unit_b)[1:],
        title=DRAFT_MARKER,
        submit=False,
    )
    # Centre B: zeb's item, decided and signed off by bea.
    other_item = add_evidence(
        other_enrolment, zeb, criteria_list=criteria(unit_a), title=OTHER_CENTRE_MARKERS[1]
    )
    decide(other_enrolment, bea, criteria(unit_a), evidence=other_item)
    sign(other_enrolment, unit_a, bea, comments=OTHER_CENTRE_MARKERS[2])

    grant = _grant(centre, carol, eric, enrolments=[enrolment])
    _grant(centre, carol, una, units=[unit_a])
    expired = _grant(centre, carol, ed, enrolments=[enrolment])
    EqaGrant.objects.filter(pk=expired.pk).update(
        ends_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    plan = moderation_services.plan_save(
        centre=centre,
        by=ivy,
        tutor=bob,
        qualification=qualification,
        learner_rate=50,
        unit_rate=50,
        include_interim=True,
        include_summative=True,
    )
    cohort_print = CohortPrint.objects.create(
        centre=centre,
        qualification=qualification,
        requested_by=carol,
        status=CohortPrintStatus.DONE,
        total=2,
        done=2,
    )
    cohort_print.pdf.save("cohort.pdf", ContentFile(minimal_pdf("Cohort")))
    intake_upload = IntakeUpload.objects.create(
        centre=centre, file_name="class.csv", content=INTAKE_CSV, uploaded_by=carol
    )

    actors = {
        "anonymous": None,
        "owner": alice,
        "other_learner": dora,
        "tutor": bob,
        "other_tutor": tess,
        "iqa": ivy,
        "eqa": eric,
        "eqa_unit": una,
        "eqa_expired": ed,
        "admin": carol,
        "other_admin": bea,
    }
    return Scenario(
        actors=actors,
        centre=centre,
        other_centre=other_centre,
        qualification=qualification,
        unit_a=unit_a,
        unit_b=unit_b,
        criterion_a=criteria(unit_a)[0],
        criterion_b=criteria(unit_b)[0],
        enrolment=enrolment,
        other_learner_enrolment=dora_enrolment,
        other_enrolment=other_enrolment,
        submitted=submitted,
        draft=draft,
        submitted_file=submitted.files.get(),
        draft_file=draft.files.get(),
        grant=grant,
        plan=plan,
        cohort_print=cohort_print,
        intake_upload=intake_upload,
        notification=Notification.objects.filter(recipient=alice).order_by("pk").first(),
        owner_membership=Membership.objects.get(user=alice, centre=centre),
        extra={
            "observation": EvidenceMethod.objects.get(slug="observation").pk,
            "criterion_b2": criteria(unit_b)[1].pk,
            "new_learner": nell.pk,
            # Centre A's own qualification: its admin edits its rules; centre B never sees it.
            "own_qualification": Qualification.objects.create(
                number="IH/0001",
                title="Alpha in-house award",
                awarding_body=qualification.awarding_body,
                centre=centre,
            ).pk,
            # Centre B invites alice, who has an account at A: only she may accept.
            "invitation": account_services.invitation_create(
                centre=other_centre, person=alice, email=alice.email, roles=["learner"], by=bea
            ).pk,
            # Centre A's own unit (not yet published): centre B never sees it.
            "own_unit": _own_unit(centre),
            # Alice's API token: only she revokes it.
            "token": account_tokens.token_create(
                user=alice, name="Alice's script", scope="read", days=30, session_verified=True
            )[0].pk,
            # Bob asks a workplace witness about unit B's second criterion.
            "witness_token": _witness_token(enrolment, bob, criteria(unit_b)[1:]),
        },
    )


def access_log_count() -> int:
    return AccessLogEntry.objects.count()


def _snapshot_queries() -> list[tuple[str, str]]:
    installed = {config.label for config in apps.get_app_configs()}
    queries = []
    for label in SNAPSHOT_APPS:
        if label not in installed:
            continue
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model in SNAPSHOT_SKIP:
                continue
            skip = SNAPSHOT_SKIP_FIELDS.get(model, set())
            columns = ", ".join(
                connection.ops.quote_name(f.column)
                for f in model._meta.concrete_fields
                if f.name not in skip
            )
            table = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(model._meta.pk.column)
            sql = f"SELECT {columns} FROM {table} ORDER BY {pk}"  # noqa: S608 (our own model names)
            queries.append((model._meta.label, sql))
    return queries


def snapshot() -> dict:
    """Every row of the record's apps, as plain values: equal before and after a refused POST.
    Plain SQL, as it runs twice for every request."""
    global _QUERIES
    if _QUERIES is None:
        _QUERIES = _snapshot_queries()
    rows = {}
    with connection.cursor() as cursor:
        for label, sql in _QUERIES:
            cursor.execute(sql)
            rows[label] = cursor.fetchall()
    return rows


_QUERIES = None
