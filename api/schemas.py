"""What the API reads and answers, as pydantic schemas (the OpenAPI document is made from
these). Every string read from a client refuses NUL characters, which PostgreSQL cannot
store, with a 422 rather than a server error."""

import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from accounts.enums import TokenScope
from portfolios.enums import DecisionOutcome, EnrolmentStatus, EvidenceState


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
# Ids that fit the database's 64-bit integers (a bigger one is a 422, not a server error).
MAX_ID = 2**63 - 1


class Error(Schema):
    detail: str = Field(description="What went wrong, in words for a person.")
    errors: list[Any] = Field(
        default_factory=list, description="Each refusal, or each invalid field (422)."
    )


# ---------------------------------------------------------------- who


class Role(Schema):
    centre_id: int
    centre_name: str
    centre_number: str
    role: str


class Me(Schema):
    id: int
    username: str
    name: str
    token_name: str
    token_scope: TokenScope
    token_expires_at: datetime.datetime
    roles: list[Role]


# ---------------------------------------------------------------- catalogue


class QualificationOut(Schema):
    id: int
    number: str
    version: int
    title: str
    awarding_body: str
    level: int | None
    min_credits: int | None
    own_centre_id: int | None = Field(description="Set for a centre's own qualification.")
    unit_count: int


class QualificationUnitOut(Schema):
    id: int
    slug: str
    code: str
    title: str
    version: int
    level: int | None
    credit_value: int | None
    group: str
    mandatory: bool


class QualificationDetail(QualificationOut):
    units: list[QualificationUnitOut]


class CriterionOut(Schema):
    id: int
    number: str
    shown_number: str
    text: str
    grade: str


class OutcomeOut(Schema):
    id: int
    number: str
    title: str
    criteria: list[CriterionOut]


class UnitOut(Schema):
    id: int
    slug: str
    code: str
    title: str
    version: int
    level: int | None
    credit_value: int | None
    glh: int | None
    own_centre_id: int | None
    outcomes: list[OutcomeOut]


# ---------------------------------------------------------------- enrolments


class Person(Schema):
    id: int
    name: str


class Progress(Schema):
    criteria_met: int
    criteria_total: int
    percent: int = Field(description="Criteria met, of the criteria of the learner's units.")
    percent_elapsed: int = Field(description="Share of the planned duration that has passed.")
    rag: str
    units_signed: int
    units_total: int
    evidence_waiting: int = Field(description="Submitted items not yet assessed.")
    last_activity: datetime.datetime | None


class EnrolmentOut(Schema):
    id: int
    centre_id: int
    learner: Person
    tutor: Person
    qualification_id: int | None
    qualification_number: str
    qualification_title: str
    registration_number: str
    start_date: datetime.date
    planned_end_date: datetime.date
    status: EnrolmentStatus
    progress: Progress


class UnitProgress(Schema):
    unit_id: int
    code: str
    title: str
    version: int
    criteria_met: int
    criteria_total: int
    percent: int
    signed_off: bool


class EnrolmentDetail(EnrolmentOut):
    units: list[UnitProgress]


# ---------------------------------------------------------------- evidence


class FileOut(Schema):
    id: int
    name: str
    size: int
    sha256: str
    content_type: str
    uploaded_at: datetime.datetime


class EvidenceOut(Schema):
    id: int
    enrolment_id: int
    reference: str
    title: str
    method: str
    date: datetime.date
    state: EvidenceState
    created_by: str
    submitted_at: datetime.datetime | None
    assessed_at: datetime.datetime | None
    supersedes_id: int | None
    file_count: int
    criterion_count: int


class EvidenceDetail(Schema):
    id: int
    enrolment_id: int
    reference: str
    title: str
    description: str
    method: str
    date: datetime.date
    text: str
    workplace_location: str
    state: EvidenceState
    created_by: str
    submitted_at: datetime.datetime | None
    assessed_at: datetime.datetime | None
    supersedes_id: int | None
    files: list[FileOut]
    criteria: list[int] = Field(description="The ids of the criteria it is mapped to.")


class EvidenceIn(Schema):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_nul)]
    method: Annotated[str, StringConstraints(max_length=60), AfterValidator(_no_nul)] = Field(
        description="The evidence method's slug (e.g. reflective-account)."
    )
    date: datetime.date
    description: Text = ""
    text: Text = Field("", description="A written account.")
    workplace_location: ShortText = Field("", description="Where a workplace document is kept.")
    criteria: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=500, description="Criterion ids of the learner's units."
    )


# ---------------------------------------------------------------- assessment


class DecisionOut(Schema):
    id: int
    enrolment_id: int
    criterion_id: int
    criterion: str
    unit_id: int
    outcome: DecisionOutcome
    decided_on: datetime.date
    decided_at: datetime.datetime
    decided_by: str
    feedback: str
    supersedes_id: int | None
    latest: bool = Field(description="No later decision replaces it.")
    standing: bool = Field(description="Latest, and not reopened by an open referral.")
    met: bool = Field(description="Standing and met: what the record counts.")
    evidence: list[int]


class DecisionItemIn(Schema):
    criterion: int = Field(ge=1, le=MAX_ID)
    outcome: DecisionOutcome
    feedback: Text = ""
    seen: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The id of the latest decision on the criterion the tutor saw (none: "
        "null). If another has been recorded since, nothing is saved (409).",
    )


class DecisionsIn(Schema):
    decided_on: datetime.date
    evidence: int | None = Field(
        None, ge=1, le=MAX_ID, description="Rest every decision on this item alone."
    )
    decisions: list[DecisionItemIn] = Field(min_length=1, max_length=200)


class SignOffOut(Schema):
    id: int
    enrolment_id: int
    unit_id: int
    signature_name: str
    signed_at: datetime.datetime
    comments: str
    supersedes_id: int | None
    standing: bool = Field(description="Latest and not referred back: the unit is locked.")
    acknowledged_at: datetime.datetime | None


# ---------------------------------------------------------------- export


class ProgressExport(Schema):
    centre_id: int
    audit_chain_head: str = Field(description="'#seq digest': match the file to the trail.")
    headers: list[str]
    rows: list[dict[str, Any]]
