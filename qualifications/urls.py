from django.urls import path

from qualifications import rule_views, views

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("qualifications/<int:pk>/", views.qualification_detail, name="qualification_detail"),
    path(
        "qualifications/<int:pk>/rules/",
        rule_views.qualification_rules,
        name="qualification_rules",
    ),
    path(
        "qualifications/<int:pk>/structure.json",
        views.qualification_structure,
        name="qualification_structure",
    ),
    path("units/<slug:slug>/", views.unit_detail, name="unit_detail"),
    path("import/", views.spec_import_view, name="spec_import"),
    path("import/structure/", views.structure_import_view, name="structure_import"),
]
