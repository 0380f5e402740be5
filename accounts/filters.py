import django_filters
from django.db.models import Q

from accounts.enums import Role
from accounts.models import User


class PeopleFilter(django_filters.FilterSet):
    """The people of one centre, by name or e-mail, role and whether they are active there."""

    q = django_filters.CharFilter(label="Name or e-mail", method="search")
    role = django_filters.ChoiceFilter(label="Role", choices=Role.choices, method="with_role")
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=[("active", "Active"), ("inactive", "Inactive")],
        method="with_status",
        empty_label="Any status",
    )
    o = django_filters.OrderingFilter(
        label="Sort by",
        fields=(("last_name", "name"), ("email", "email"), ("last_login", "last_login")),
        field_labels={"last_name": "Name", "email": "E-mail", "last_login": "Last sign-in"},
    )

    class Meta:
        model = User
        fields = []

    def __init__(self, *args, centre, **kwargs):
        self.centre = centre
        super().__init__(*args, **kwargs)

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(username__icontains=word)
            )
        return queryset

    def with_role(self, queryset, name, value):
        return queryset.filter(
            memberships__centre=self.centre, memberships__role=value, memberships__is_active=True
        )

    def with_status(self, queryset, name, value):
        active_here = Q(memberships__centre=self.centre, memberships__is_active=True)
        if value == "active":
            return queryset.filter(active_here)
        return queryset.exclude(pk__in=User.objects.filter(active_here).values("pk"))
