from django.contrib import admin
from django.urls import include, path

from accounts.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("catalogue/", include("qualifications.urls")),
    path("portfolios/", include("portfolios.urls")),
    path("moderation/", include("moderation.urls")),
    path("checklists/", include("checklists.urls")),
    path("centres/", include("centres.urls")),
    path("", include("accounts.urls")),
]
