from django.db.models import Count, Prefetch, Q

from accounts.permissions import memberships_of
from qualifications.models import (
    AssessmentCriterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
)
from qualifications.permissions import is_staff, visible
from qualifications.versions import qualification_versions, unit_versions


def qualifications_with_counts():
    return Qualification.objects.select_related("awarding_body").annotate(
        unit_count=Count("qualification_units", distinct=True)
    )


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


def standalone_units():
    """Units that belong to no qualification (short courses, single-unit awards)."""
    return Unit.objects.filter(qualification_units__isnull=True).annotate(
        criteria_count=Count("criteria")
    )


def qualification_units(qualification):
    return (
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit", "group")
        .annotate(criteria_count=Count("unit__criteria"))
        .order_by("group__position", "position")
    )


def unit_with_outcomes(slug):
    criteria = AssessmentCriterion.objects.order_by("sort_key")
    outcomes = LearningOutcome.objects.order_by("sort_key").prefetch_related(
        Prefetch("criteria", queryset=criteria)
    )
    return Unit.objects.prefetch_related(
        Prefetch("outcomes", queryset=outcomes),
        "other_codes",
        "evidence_methods",
        Prefetch(
            "qualification_units",
            queryset=QualificationUnit.objects.select_related("qualification", "group"),
        ),
    ).filter(slug=slug)


def search_units(query: str):
    return (
        Unit.objects.search(query)
        .annotate(criteria_count=Count("criteria", distinct=True))
        .order_by("code", "title")[:100]
    )


def qualification_to_export(user, pk):
    """The qualification version whose structure `user` may download, or None: shared ones
    and their own centres' (`permissions.visible`)."""
    return visible(qualifications_with_body(), user).filter(pk=pk).first()


def _enrolments_seen(user, prefix: str) -> Q:
    """Enrolments `user` may count: staff all of them, anyone else their own centres'."""
    if is_staff(user):
        return Q()
    centres = {m.centre_id for m in memberships_of(user)}
    return Q(**{f"{prefix}centre__in": centres})


def unit_versions_for(unit: Unit, user):
    """Every version of `unit`, oldest first, each with how many enrolments `user` may see
    are on it (`enrolment_count`)."""
    return unit_versions(unit).annotate(
        enrolment_count=Count(
            "enrolment_units__enrolment",
            filter=_enrolments_seen(user, "enrolment_units__enrolment__"),
            distinct=True,
        )
    )


def qualification_versions_for(qualification: Qualification, user):
    """As `unit_versions_for`, for a qualification."""
    return qualification_versions(qualification).annotate(
        enrolment_count=Count(
            "enrolments", filter=_enrolments_seen(user, "enrolments__"), distinct=True
        )
    )
