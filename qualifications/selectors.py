from django.db.models import Count, Prefetch, Q
from django.http import Http404

from accounts.models import User
from accounts.permissions import memberships_of
from qualifications.models import (
    AssessmentCriterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
)
from qualifications.permissions import EDITOR_GROUP, is_staff, visible, visible_centre_ids
from qualifications.versions import qualification_versions, unit_versions

# The catalogue list's owner filter (`?owner=`): everything the person sees, the shared
# catalogue alone, or their centres' own units and qualifications alone.
OWNER_FILTERS = {"": "Everything", "shared": "Shared catalogue", "own": "Your centre's own"}


def _owned(queryset, user, owner: str):
    queryset = visible(queryset, user)
    if owner == "shared":
        return queryset.filter(centre__isnull=True)
    if owner == "own":
        return queryset.filter(centre__isnull=False)
    return queryset


def get_qualification_for_user(user, pk) -> Qualification:
    """A qualification the person may see (404 for another centre's own, as for none)."""
    qualification = (
        visible(Qualification.objects.select_related("awarding_body", "centre"), user)
        .filter(pk=pk)
        .first()
    )
    if qualification is None:
        raise Http404("No such qualification in the catalogue you see.")
    return qualification


def get_unit_for_user(user, slug: str, queryset=None) -> Unit:
    """A unit the person may see (404 for another centre's own, as for none)."""
    queryset = Unit.objects.all() if queryset is None else queryset
    unit = visible(queryset.select_related("centre"), user).filter(slug=slug).first()
    if unit is None:
        raise Http404("No such unit in the catalogue you see.")
    return unit


def own_centre_ids(user) -> set[int]:
    """The centres whose own catalogue rows the catalogue marks as "your centre's own"."""
    return visible_centre_ids(user)


def qualifications_with_counts(user, owner: str = ""):
    return _owned(
        Qualification.objects.select_related("awarding_body", "centre"), user, owner
    ).annotate(unit_count=Count("qualification_units", distinct=True))


def qualifications_with_body():
    return Qualification.objects.select_related("awarding_body")


def qualification_page(qualification) -> dict:
    """A qualification with its units in their groups, and the counts the page shows."""
    rows = list(qualification_units(qualification))
    groups = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    return {
        "qualification": qualification,
        "groups": list(groups.items()),
        "barred": list(
            qualification.barred_combinations.select_related("unit", "barred").order_by("pk")
        ),
        "unit_total": len(rows),
        "criteria_total": sum(r.criteria_count for r in rows),
    }


def standalone_units(user, owner: str = ""):
    """Units that belong to no qualification (short courses, single-unit awards)."""
    units = Unit.objects.filter(qualification_units__isnull=True).select_related("centre")
    return _owned(units, user, owner).annotate(criteria_count=Count("criteria"))


def qualification_units(qualification):
    return (
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit", "group")
        .annotate(criteria_count=Count("unit__criteria"))
        .order_by("group__position", "position")
    )


def unit_page(user, slug: str) -> Unit:
    """The unit page's unit, with the qualifications it is in that the person may see (a
    shared unit in another centre's own qualification must not name that qualification)."""
    criteria = AssessmentCriterion.objects.order_by("sort_key")
    outcomes = LearningOutcome.objects.order_by("sort_key").prefetch_related(
        Prefetch("criteria", queryset=criteria)
    )
    places = visible(
        QualificationUnit.objects.select_related("qualification", "group"), user, "qualification__"
    )
    units = Unit.objects.prefetch_related(
        Prefetch("outcomes", queryset=outcomes),
        "other_codes",
        "evidence_methods",
        Prefetch("qualification_units", queryset=places),
    )
    return get_unit_for_user(user, slug, queryset=units)


def search_units(query: str, user, owner: str = ""):
    return (
        _owned(Unit.objects.search(query).select_related("centre"), user, owner)
        .annotate(criteria_count=Count("criteria", distinct=True))
        .order_by("code", "title")[:100]
    )


def _enrolments_seen(user, prefix: str) -> Q:
    """Enrolments `user` may count: staff all of them, anyone else their own centres'."""
    if is_staff(user):
        return Q()
    centres = {m.centre_id for m in memberships_of(user)}
    return Q(**{f"{prefix}centre__in": centres})


def unit_versions_for(unit: Unit, user):
    """Every version of `unit`, oldest first, each with how many enrolments `user` may see
    are on it (`enrolment_count`)."""
    return visible(unit_versions(unit), user).annotate(
        enrolment_count=Count(
            "enrolment_units__enrolment",
            filter=_enrolments_seen(user, "enrolment_units__enrolment__"),
            distinct=True,
        )
    )


def qualification_versions_for(qualification: Qualification, user):
    """As `unit_versions_for`, for a qualification."""
    return visible(qualification_versions(qualification), user).annotate(
        enrolment_count=Count(
            "enrolments", filter=_enrolments_seen(user, "enrolments__"), distinct=True
        )
    )


def catalogue_editors():
    """The people given the catalogue editor role (staff have its rights without it)."""
    return User.objects.filter(groups__name=EDITOR_GROUP).order_by("last_name", "first_name")
