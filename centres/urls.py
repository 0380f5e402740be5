from django.urls import path

from centres import views

urlpatterns = [
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/<int:pk>/accept/", views.invitation_accept_view, name="invitation_accept"),
    path("<int:pk>/intake/", views.intake_upload, name="intake_upload"),
    path("<int:pk>/intake/<int:upload_pk>/confirm/", views.intake_confirm, name="intake_confirm"),
    path("<int:pk>/progress.<str:fmt>", views.progress_export, name="progress_export"),
]
