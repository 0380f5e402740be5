from django.urls import path

from api.main import api, schema_view

urlpatterns = [
    path("schema/", schema_view, name="api_schema"),
    path("", api.urls),
]
