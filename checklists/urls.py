from django.urls import path, register_converter

from checklists import views
from checklists.enums import Layout


class LayoutConverter:
    regex = "|".join(Layout.values)

    def to_python(self, value):
        return Layout(value)

    def to_url(self, value):
        return Layout(value).value


register_converter(LayoutConverter, "layout")

urlpatterns = [
    # The EQA bundle: the portfolio's files, indexes and record, and the filled checklist.
    path("portfolios/<int:pk>/eqa-bundle.zip", views.eqa_bundle, name="eqa_bundle"),
    path(
        "blank/units/<slug:slug>/<layout:layout>.pdf",
        views.blank_unit_checklist,
        name="checklist_blank_unit",
    ),
    path(
        "blank/qualifications/<int:pk>/<layout:layout>.pdf",
        views.blank_qualification_checklist,
        name="checklist_blank_qualification",
    ),
    path(
        "portfolios/<int:pk>/<layout:layout>.pdf",
        views.enrolment_checklist,
        name="checklist_enrolment",
    ),
    path(
        "portfolios/<int:pk>/<layout:layout>-units.zip",
        views.enrolment_checklist_units,
        name="checklist_enrolment_units",
    ),
    path(
        "portfolios/<int:pk>/units/<slug:slug>/<layout:layout>.pdf",
        views.enrolment_unit_checklist,
        name="checklist_enrolment_unit",
    ),
    path("centres/<int:centre_pk>/cohorts/", views.cohort_print_list, name="cohort_print_list"),
    path("cohorts/<int:pk>/", views.cohort_print_detail, name="cohort_print_detail"),
    path("cohorts/<int:pk>/download/", views.cohort_print_download, name="cohort_print_download"),
]
