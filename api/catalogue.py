"""The catalogue: qualifications and units, the shared ones and the person's centres' own
(`qualifications.permissions.visible`; another centre's own is 404, as on the pages)."""

from typing import Annotated

from ninja import Path, Router
from ninja.pagination import paginate
from pydantic import StringConstraints

from api.common import READ_ERRORS, Id, Pages, Rows
from api.schemas import QualificationDetail, QualificationOut, UnitOut
from qualifications import selectors

router = Router(tags=["catalogue"])

Slug = Annotated[str, Path(), StringConstraints(pattern=r"^[-a-zA-Z0-9_]{1,120}$")]


def _qualification(q, units=None) -> dict:
    row = {
        "id": q.pk,
        "number": q.number,
        "version": q.version,
        "title": q.title,
        "awarding_body": q.awarding_body.short_name,
        "level": q.level,
        "min_credits": q.min_credits,
        "own_centre_id": q.centre_id,
        "unit_count": q.unit_count if units is None else len(units),
    }
    if units is not None:
        row["units"] = [
            {
                "id": r.unit.pk,
                "slug": r.unit.slug,
                "code": r.unit.code,
                "title": r.unit.title,
                "version": r.unit.version,
                "level": r.unit.level,
                "credit_value": r.unit.credit_value,
                "group": r.group.name,
                "mandatory": r.group.is_mandatory,
            }
            for r in units
        ]
    return row


@router.get("/qualifications", response={200: list[QualificationOut], **READ_ERRORS})
@paginate(Pages)
def qualification_list(request):
    """Qualifications the person may see, by number and version."""
    rows = selectors.qualifications_with_counts(request.user).order_by("number", "version", "pk")
    return Rows(rows, lambda page: [_qualification(q) for q in page])


@router.get("/qualifications/{pk}", response={200: QualificationDetail, **READ_ERRORS})
def qualification_detail(request, pk: Id):
    """A qualification with its units in their groups."""
    qualification = selectors.get_qualification_for_user(request.user, pk)
    return _qualification(qualification, list(selectors.qualification_units(qualification)))


@router.get("/units/{slug}", response={200: UnitOut, **READ_ERRORS})
def unit_detail(request, slug: Slug):
    """A unit with its learning outcomes and assessment criteria."""
    unit = selectors.unit_page(request.user, slug)
    return {
        "id": unit.pk,
        "slug": unit.slug,
        "code": unit.code,
        "title": unit.title,
        "version": unit.version,
        "level": unit.level,
        "credit_value": unit.credit_value,
        "glh": unit.glh,
        "own_centre_id": unit.centre_id,
        "outcomes": [
            {
                "id": o.pk,
                "number": o.number,
                "title": o.title,
                "criteria": [
                    {
                        "id": c.pk,
                        "number": c.number,
                        "shown_number": c.shown_number,
                        "text": c.text,
                        "grade": c.grade,
                    }
                    for c in o.criteria.all()
                ],
            }
            for o in unit.outcomes.all()
        ],
    }
