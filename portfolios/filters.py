import django_filters
from django.db.models import Q

from portfolios.enums import EnrolmentStatus


class EnrolmentFilter(django_filters.FilterSet):
    """A centre's enrolments by learner, qualification, tutor and status, in a chosen order."""

    q = django_filters.CharFilter(label="Learner, e-mail or registration number", method="search")
    qualification = django_filters.ChoiceFilter(label="Qualification", method="on_qualification")
    tutor = django_filters.ChoiceFilter(label="Tutor", method="with_tutor")
    status = django_filters.ChoiceFilter(choices=EnrolmentStatus.choices, empty_label="Any status")
    o = django_filters.OrderingFilter(
        label="Sort by",
        fields=(
            ("learner__last_name", "learner"),
            ("start_date", "start"),
            ("planned_end_date", "end"),
            ("tutor__last_name", "tutor"),
        ),
        field_labels={
            "learner__last_name": "Learner",
            "start_date": "Start date",
            "planned_end_date": "Planned end",
            "tutor__last_name": "Tutor",
        },
    )

    def __init__(self, *args, qualifications=(), tutors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["qualification"].extra["choices"] = [("short", "Short courses")] + [
            (str(q.pk), f"{q.number} {q.title}") for q in qualifications
        ]
        self.filters["tutor"].extra["choices"] = [(str(t.pk), str(t)) for t in tutors]

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(learner__first_name__icontains=word)
                | Q(learner__last_name__icontains=word)
                | Q(learner__email__icontains=word)
                | Q(registration_number__icontains=word)
            )
        return queryset

    def on_qualification(self, queryset, name, value):
        if value == "short":
            return queryset.filter(qualification__isnull=True)
        return queryset.filter(qualification_id=value)

    def with_tutor(self, queryset, name, value):
        return queryset.filter(tutor_id=value)
