from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/<int:pk>/", views.role_dashboard, name="role_dashboard"),
    path("centres/<int:pk>/", views.centre_detail, name="centre_detail"),
]
