from django.urls import path

from portfolios import method_views, views

urlpatterns = [
    path("centres/<int:centre_pk>/", views.enrolment_list, name="enrolment_list"),
    path("centres/<int:centre_pk>/enrol/", views.enrolment_create, name="enrolment_create"),
    path("<int:pk>/", views.portfolio, name="portfolio"),
    path("<int:pk>/edit/", views.enrolment_update, name="enrolment_update"),
    path(
        "<int:pk>/units/<int:unit_pk>/withdraw/",
        views.enrolment_unit_withdraw,
        name="enrolment_unit_withdraw",
    ),
    path(
        "<int:pk>/units/<int:unit_pk>/restore/",
        views.enrolment_unit_restore,
        name="enrolment_unit_restore",
    ),
    path("<int:pk>/evidence/", views.evidence_list, name="evidence_list"),
    path("<int:pk>/evidence/add/", views.evidence_create, name="evidence_create"),
    path("<int:pk>/submit/", views.enrolment_submit, name="enrolment_submit"),
    path("evidence/<int:pk>/", views.evidence_detail, name="evidence_detail"),
    path("evidence/<int:pk>/edit/", views.evidence_update, name="evidence_update"),
    path("evidence/<int:pk>/criteria/", views.evidence_map, name="evidence_map"),
    path("evidence/<int:pk>/submit/", views.evidence_submit, name="evidence_submit"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("files/<int:pk>/", views.evidence_file_download, name="evidence_file_download"),
    path("files/<int:pk>/preview/", views.evidence_file_preview, name="evidence_file_preview"),
    # Evidence methods as records (method_views.py)
    path("<int:pk>/observations/add/", method_views.observation_create, name="observation_create"),
    path("<int:pk>/discussions/add/", method_views.discussion_create, name="discussion_create"),
    path("<int:pk>/witnesses/", method_views.witness_request_create, name="witness_request"),
    path("evidence/<int:pk>/verify/", method_views.evidence_verify, name="evidence_verify"),
    # Public: a workplace witness's one-time link (no account).
    path("witness/<str:token>/", method_views.witness_testimony, name="witness_testimony"),
]
