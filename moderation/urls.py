from django.urls import path

from moderation import views

app_name = "moderation"

enrolment = "enrolments/<int:pk>/"
unit = enrolment + "units/<int:unit_pk>/"

urlpatterns = [
    # Tutors
    path("queue/", views.tutor_queue, name="tutor_queue"),
    path("evidence/<int:pk>/assess/", views.evidence_assess, name="evidence_assess"),
    path(
        "evidence/<int:pk>/add-criteria/",
        views.evidence_add_criteria,
        name="evidence_add_criteria",
    ),
    # The record of one portfolio
    path(enrolment, views.enrolment_record, name="enrolment_record"),
    path(enrolment + "audit/", views.enrolment_audit, name="enrolment_audit"),
    path(
        enrolment + "criteria/<int:criterion_pk>/",
        views.criterion_detail,
        name="criterion_detail",
    ),
    path(unit, views.unit_record, name="unit_record"),
    path(unit + "sign/", views.unit_sign, name="unit_sign"),
    path(unit + "acknowledge/", views.unit_acknowledge, name="unit_acknowledge"),
    path(
        unit + "moderate/<str:kind>/",
        views.sample_decide,
        name="sample_decide",
    ),
    # Internal moderators
    path("centres/<int:centre_pk>/plans/", views.plan_list, name="plan_list"),
    path("centres/<int:centre_pk>/plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_update, name="plan_update"),
    path("centres/<int:centre_pk>/referrals/", views.referral_list, name="referral_list"),
    path("centres/<int:centre_pk>/audit/", views.centre_audit, name="centre_audit"),
    # External moderators and the centre admins who let them in
    path("centres/<int:centre_pk>/access/", views.grant_list, name="grant_list"),
    path("centres/<int:centre_pk>/access/new/", views.grant_create, name="grant_create"),
    path("access/<int:pk>/", views.grant_detail, name="grant_detail"),
    path("access/<int:pk>/end/", views.grant_revoke, name="grant_revoke"),
    path("external/", views.eqa_home, name="eqa_home"),
    # Notifications
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/badge/", views.notification_badge, name="notification_badge"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
    path("notifications/digest/", views.notification_digest, name="notification_digest"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
]
