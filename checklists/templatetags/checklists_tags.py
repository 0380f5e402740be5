"""`{% print_menu %}`: the print buttons other apps' pages show.

{% print_menu unit=unit %}                       blank forms of a catalogue unit
{% print_menu qualification=qualification %}     blank forms of a whole qualification
{% print_menu enrolment=enrolment %}             a learner's filled-in checklists
{% print_menu enrolment=enrolment unit=unit %}   one unit of them
"""

from django import template
from django.urls import reverse

from checklists.enums import Layout

register = template.Library()

# The order a person looks for them in: the awarding body's achievement checklist first.
MENU_ORDER = [Layout.ACHIEVEMENT, Layout.UNIT_ASSESSMENT, Layout.OUTCOME_RECORD]


def _links(*, enrolment=None, unit=None, qualification=None) -> list[tuple[str, str]]:
    links = []
    for layout in MENU_ORDER:
        if enrolment is not None and unit is not None:
            url = reverse("checklist_enrolment_unit", args=[enrolment.pk, unit.slug, layout])
        elif enrolment is not None:
            url = reverse("checklist_enrolment", args=[enrolment.pk, layout])
        elif qualification is not None:
            url = reverse("checklist_blank_qualification", args=[qualification.pk, layout])
        else:
            url = reverse("checklist_blank_unit", args=[unit.slug, layout])
        links.append((layout.label, url))
    if enrolment is not None and unit is None:
        # The merged print is not tagged: each unit's tagged PDF is offered beside it.
        for layout in MENU_ORDER:
            url = reverse("checklist_enrolment_units", args=[enrolment.pk, layout])
            links.append((f"{layout.label}: one accessible (tagged) PDF per unit, ZIP", url))
    return links


@register.inclusion_tag("checklists/_print_menu.html")
def print_menu(*, enrolment=None, unit=None, qualification=None, size=""):
    if enrolment is None and unit is None and qualification is None:
        raise template.TemplateSyntaxError("print_menu needs a unit, qualification or enrolment.")
    if enrolment is not None:
        label = "Print this unit" if unit is not None else "Print checklists"
        hint = "Filled in from the portfolio (submitted evidence)"
    else:
        label = "Print blank form"
        hint = "Blank, for completion on paper"
    return {
        "label": label,
        "hint": hint,
        "links": _links(enrolment=enrolment, unit=unit, qualification=qualification),
        "size": size,
        # Several units' menus share a page: each button says, to a screen reader, which unit.
        "unit_name": (unit.code or unit.title) if enrolment is not None and unit else "",
        "testid": "print-unit" if enrolment is not None and unit is not None else "print-menu",
    }
