"""Building blocks for the checklist tests (also used by the browser journey)."""

import datetime
import io
from dataclasses import dataclass

from pypdf import PdfReader

from portfolios import services as portfolio_services
from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    EvidenceMethod,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
    UnitGroup,
)


def make_unit(code: str, title: str, criteria_per_outcome: tuple[int, ...]) -> Unit:
    unit = Unit.objects.create(
        slug=code.lower().replace("/", "-"), code=code, title=title, level=2, credit_value=3
    )
    for o, count in enumerate(criteria_per_outcome, start=1):
        outcome = LearningOutcome.objects.create(
            unit=unit, number=str(o), title=f"Know part {o} of {title.lower()}"
        )
        for c in range(1, count + 1):
            AssessmentCriterion.objects.create(
                outcome=outcome, number=f"{o}.{c}", text=f"State fact {o}.{c} of {code}"
            )
    return unit


@dataclass
class Catalogue:
    qualification: Qualification
    units: list[Unit]

    def criteria(self, unit_index: int) -> list[AssessmentCriterion]:
        return list(self.units[unit_index].criteria.order_by("sort_key"))


def build_catalogue() -> Catalogue:
    """Two units of a small qualification: one mandatory (5 criteria), one optional (2)."""
    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    qualification = Qualification.objects.create(
        number="600/0001/1", title="Level 2 Diploma in Testing", awarding_body=body, level=2
    )
    mandatory = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True, position=0
    )
    optional = UnitGroup.objects.create(qualification=qualification, name="Optional", position=1)
    units = [
        make_unit("A/100/0001", "Greet customers", (3, 2)),
        make_unit("B/100/0002", "Keep diaries", (2,)),
    ]
    for position, (unit, group) in enumerate(zip(units, (mandatory, optional), strict=True)):
        QualificationUnit.objects.create(
            qualification=qualification, unit=unit, group=group, position=position
        )
    return Catalogue(qualification, units)


def enrol(catalogue, *, centre, learner, tutor, by, units=None):
    return portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=catalogue.qualification,
        units=units if units is not None else catalogue.units,
        registration_number="REG-0042",
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=by,
    )


def add_evidence(
    enrolment,
    *,
    by,
    title,
    criteria,
    submit=True,
    method="reflective-account",
    date=datetime.date(2026, 2, 3),
):
    evidence = portfolio_services.evidence_create(
        enrolment=enrolment,
        by=by,
        title=title,
        method=EvidenceMethod.objects.get(slug=method),
        date=date,
        text="Written account.",
        criteria=criteria,
    )
    if submit:
        portfolio_services.evidence_submit(items=[evidence], by=by, declaration_confirmed=True)
        evidence.refresh_from_db()
    return evidence


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with all whitespace removed, so wrapped lines still match."""
    reader = PdfReader(io.BytesIO(pdf))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def squash(text: str) -> str:
    return "".join(text.split())


def pdf_reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))
