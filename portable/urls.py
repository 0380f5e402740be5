from django.urls import path

from portable import views

app_name = "portable"

urlpatterns = [
    path("enrolments/<int:pk>/export/", views.portfolio_export_view, name="export"),
    path("centres/<int:pk>/import/", views.portfolio_import_view, name="import"),
]
