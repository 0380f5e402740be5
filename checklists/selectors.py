"""Reads for printing that depend on who asks, or that span apps.

A learner's own checklist is reached through `portfolios.selectors.get_enrolment_for_user`;
the cohort prints through `get_cohort_print_for_user` here. Both answer 404 when the person has
no link to the object and 403 when they have one but may not do this.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404

from accounts.permissions import is_member
from checklists import permissions
from checklists.models import CohortPrint
from portfolios.enums import EnrolmentStatus
from portfolios.models import Enrolment
from qualifications.models import Qualification, Unit


def get_cohort_print_for_user(user, pk: int) -> CohortPrint:
    cohort_print = (
        CohortPrint.objects.select_related("centre", "qualification", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if cohort_print is None or not is_member(user, cohort_print.centre_id):
        raise Http404("No such print, or nothing you have access to.")
    if not permissions.can_print_cohort(user, cohort_print.centre_id):
        raise PermissionDenied("Only the centre's admins print a whole cohort.")
    return cohort_print


def get_enrolment_unit(enrolment, slug: str) -> Unit:
    """One of the units the learner takes (404 for any other unit)."""
    unit = Unit.objects.filter(slug=slug, enrolment_units__enrolment=enrolment).first()
    if unit is None:
        raise Http404("This learner does not take that unit.")
    return unit


def cohort_enrolments(centre, qualification):
    """The learners a cohort print covers: everyone on the qualification at the centre who has
    not withdrawn, in name order (the order of the merged PDF)."""
    return (
        Enrolment.objects.filter(centre=centre, qualification=qualification)
        .exclude(status=EnrolmentStatus.WITHDRAWN)
        .select_related("centre", "learner", "qualification")
        .order_by("learner__last_name", "learner__first_name", "learner__username", "pk")
    )


def cohort_qualifications(centre):
    """The qualifications with learners at the centre, each with `learner_count` (one query)."""
    counted = Q(enrolments__centre=centre) & ~Q(enrolments__status=EnrolmentStatus.WITHDRAWN)
    return (
        Qualification.objects.filter(enrolments__centre=centre)
        .annotate(learner_count=Count("enrolments", filter=counted, distinct=True))
        .filter(learner_count__gt=0)
        .order_by("title")
    )


def recent_cohort_prints(centre, *, limit: int = 10):
    return CohortPrint.objects.filter(centre=centre).select_related(
        "qualification", "requested_by"
    )[:limit]
