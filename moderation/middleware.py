from accounts.enums import Role
from accounts.permissions import has_role_anywhere
from moderation import services

# The views that show learners' work; what an external moderator opens through them is logged.
LOGGED_MODULES = frozenset({"portfolios.views", "moderation.views"})
NOT_LOGGED = frozenset(
    {"notification_badge", "notification_list", "notification_open", "notification_read_all"}
)
# URL names whose `pk` is an enrolment (the rest name evidence or files).
ENROLMENT_PK_VIEWS = frozenset(
    {
        "portfolio",
        "evidence_list",
        "enrolment_record",
        "enrolment_audit",
        "eqa_bundle",
        "criterion_detail",
        "unit_record",
        "sample_decide",
    }
)


def _enrolment_id(match):
    from portfolios.models import Evidence, EvidenceFile

    pk = match.kwargs.get("pk")
    if pk is None:
        return None
    if match.url_name in ENROLMENT_PK_VIEWS:
        return pk
    if match.url_name.startswith("evidence_file"):
        return (
            EvidenceFile.objects.filter(pk=pk)
            .values_list("evidence__enrolment_id", flat=True)
            .first()
        )
    if match.url_name.startswith("evidence"):
        return Evidence.objects.filter(pk=pk).values_list("enrolment_id", flat=True).first()
    return None


class ExternalModeratorAccessLogMiddleware:
    """Records every page and file of learners' work an external moderator opens."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if (
            match is not None
            and response.status_code < 400
            and getattr(match.func, "__module__", "") in LOGGED_MODULES
            and match.url_name not in NOT_LOGGED
            and user is not None
            and user.is_authenticated
            and has_role_anywhere(user, Role.EXTERNAL_MODERATOR)
        ):
            services.access_log_record(
                user=user,
                method=request.method,
                path=request.get_full_path(),
                view_name=match.url_name or "",
                object_ids={k: v for k, v in match.kwargs.items() if isinstance(v, int | str)},
                enrolment_id=_enrolment_id(match),
            )
        return response
