"""The person's centres and roles, and enrolments with their progress: the same lists and
404/403 answers as the enrolment pages (`portfolios.selectors`), and the same progress
figures as the centre's report and export (`centres.selectors.learner_progress`,
`moderation.dashboards.unit_progress`)."""

from django.core.exceptions import PermissionDenied
from ninja import Router
from ninja.pagination import paginate

from accounts.permissions import memberships_of
from accounts.selectors import get_centre_for_user
from api.common import READ_ERRORS, Id, Pages, Rows
from api.schemas import EnrolmentDetail, EnrolmentOut, Me
from centres.reporting import percent
from centres.selectors import learner_progress
from moderation.dashboards import unit_progress
from portfolios import permissions, selectors

router = Router(tags=["enrolments"])


@router.get("/me", response={200: Me, **READ_ERRORS})
def me(request):
    """Who the token acts as, the token itself, and the person's roles."""
    user, token = request.user, request.auth
    return {
        "id": user.pk,
        "username": user.username,
        "name": str(user),
        "token_name": token.name,
        "token_scope": token.scope,
        "token_expires_at": token.expires_at,
        "roles": [
            {
                "centre_id": m.centre_id,
                "centre_name": m.centre.name,
                "centre_number": m.centre.centre_number,
                "role": m.role,
            }
            for m in memberships_of(user)
        ],
    }


def _person(user) -> dict:
    return {"id": user.pk, "name": str(user)}


def enrolment_row(progress) -> dict:
    e = progress.enrolment
    return {
        "id": e.pk,
        "centre_id": e.centre_id,
        "learner": _person(e.learner),
        "tutor": _person(e.tutor),
        "qualification_id": e.qualification_id,
        "qualification_number": e.qualification.number if e.qualification_id else "",
        "qualification_title": e.qualification.title if e.qualification_id else "",
        "registration_number": e.registration_number,
        "start_date": e.start_date,
        "planned_end_date": e.planned_end_date,
        "status": e.status,
        "progress": {
            "criteria_met": progress.met,
            "criteria_total": progress.total,
            "percent": progress.schedule.percent_done,
            "percent_elapsed": progress.schedule.percent_elapsed,
            "rag": str(progress.schedule.rag),
            "units_signed": progress.units_signed,
            "units_total": progress.units_total,
            "evidence_waiting": progress.waiting,
            "last_activity": progress.last_activity,
        },
    }


@router.get("/centres/{centre_id}/enrolments", response={200: list[EnrolmentOut], **READ_ERRORS})
@paginate(Pages)
def enrolment_list(request, centre_id: Id):
    """The centre's enrolments the person may open: all for its admins and internal
    moderators, their own learners for a tutor, their own for a learner (external
    moderators: 403, as the page)."""
    centre = get_centre_for_user(request.user, centre_id)
    if not permissions.can_list_enrolments(request.user, centre):
        raise PermissionDenied("External moderators open portfolios from their grants.")
    enrolments = selectors.enrolments_visible_to(request.user, centre)
    return Rows(enrolments, lambda page: [enrolment_row(p) for p in learner_progress(page)])


@router.get("/enrolments/{pk}", response={200: EnrolmentDetail, **READ_ERRORS})
def enrolment_detail(request, pk: Id):
    """One enrolment with its progress, unit by unit."""
    enrolment = selectors.get_enrolment_for_user(request.user, pk)
    row = enrolment_row(learner_progress([enrolment])[0])
    per_unit = unit_progress([enrolment.pk])
    row["units"] = [
        {
            "unit_id": unit.pk,
            "code": unit.code,
            "title": unit.title,
            "version": unit.version,
            "criteria_met": p["met"],
            "criteria_total": p["total"],
            "percent": percent(p["met"], p["total"]),
            "signed_off": p["signed"],
        }
        for unit in selectors.enrolment_units(enrolment)
        if (p := per_unit.get((enrolment.pk, unit.pk))) is not None
    ]
    return row
