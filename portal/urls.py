from django.contrib import admin
from django.urls import include, path

from accounts.views import healthz
from portal import views

handler400 = views.bad_request

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("catalogue/", include("qualifications.urls")),
    path("portfolios/", include("portfolios.urls")),
    path("moderation/", include("moderation.urls")),
    path("checklists/", include("checklists.urls")),
    path("centres/", include("centres.urls")),
    path("portable/", include("portable.urls")),
    path("", views.dashboard, name="dashboard"),
    path("dashboard/<int:pk>/", views.role_dashboard, name="role_dashboard"),
    path("centres/<int:pk>/dashboard/", views.centre_dashboard, name="centre_dashboard"),
]
