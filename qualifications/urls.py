from django.urls import path

from qualifications import ownership_views, rule_views, views

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
    path(
        "qualifications/<int:pk>/publish/",
        ownership_views.qualification_publish,
        name="qualification_publish",
    ),
    path("units/<slug:slug>/", views.unit_detail, name="unit_detail"),
    path("units/<slug:slug>/publish/", ownership_views.unit_publish, name="unit_publish"),
    path("import/", views.spec_import_view, name="spec_import"),
    path("import/structure/", views.structure_import_view, name="structure_import"),
    path("editors/", ownership_views.catalogue_editors, name="catalogue_editors"),
]
