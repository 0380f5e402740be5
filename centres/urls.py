from django.urls import path

from centres import views

urlpatterns = [
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/<int:pk>/accept/", views.invitation_accept_view, name="invitation_accept"),
    path("<int:pk>/intake/", views.intake_upload, name="intake_upload"),
    path("<int:pk>/intake/<int:upload_pk>/confirm/", views.intake_confirm, name="intake_confirm"),
    path("<int:pk>/progress.<str:fmt>", views.progress_export, name="progress_export"),
    path("<int:pk>/", views.centre_detail, name="centre_detail"),
    path(
        "<int:pk>/qualifications/<int:qualification_pk>/move/",
        views.version_move,
        name="version_move",
    ),
    path("<int:pk>/two-factor/", views.centre_two_factor, name="centre_two_factor"),
    path("<int:pk>/people/add/", views.person_add, name="person_add"),
    path("<int:pk>/people/<int:person_pk>/", views.person_detail, name="person_detail"),
    path(
        "<int:pk>/people/<int:person_pk>/roles/",
        views.person_role_change,
        name="person_role_change",
    ),
    path(
        "<int:pk>/people/<int:person_pk>/deactivate/",
        views.person_deactivate,
        name="person_deactivate",
    ),
]
