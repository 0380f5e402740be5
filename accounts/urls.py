from django.urls import path

from accounts import views

urlpatterns = [
    path("centres/<int:pk>/", views.centre_detail, name="centre_detail"),
    path("centres/<int:pk>/people/add/", views.person_add, name="person_add"),
    path("centres/<int:pk>/people/<int:person_pk>/", views.person_detail, name="person_detail"),
    path(
        "centres/<int:pk>/people/<int:person_pk>/roles/",
        views.person_role_change,
        name="person_role_change",
    ),
    path(
        "centres/<int:pk>/people/<int:person_pk>/deactivate/",
        views.person_deactivate,
        name="person_deactivate",
    ),
]
