"""What a screen reader announces on the assessment pages and the portfolio: every control has a
label, no two links to different places share a name, the navigation says which page is open
(WCAG 2.2 AA: 1.3.1, 2.4.4, 4.1.2)."""

from collections import defaultdict
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from moderation.models import SamplingPlan
from tests.moderation.conftest import add_evidence, criteria

pytestmark = pytest.mark.django_db


class _Links(HTMLParser):
    """Each link's accessible name (aria-label, else its text, hidden text included) and href;
    each textarea's aria-label; the hrefs marked aria-current."""

    def __init__(self):
        super().__init__()
        self.links, self.textareas, self.current = [], {}, []
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self._open = [attrs["href"], attrs.get("aria-label"), []]
            if attrs.get("aria-current") == "page":
                self.current.append(attrs["href"])
        elif tag == "textarea":
            self.textareas[attrs["name"]] = attrs.get("aria-label")

    def handle_data(self, data):
        if self._open is not None:
            self._open[2].append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            href, label, text = self._open
            self.links.append((" ".join((label or "".join(text)).split()), href))
            self._open = None


def parse(response) -> _Links:
    assert response.status_code == 200
    parsed = _Links()
    parsed.feed(response.content.decode())
    return parsed


def shared_names(parsed: _Links) -> dict:
    """Names given to links that go to different places (the page's own anchors aside, and "/",
    which is the person's dashboard)."""
    places = defaultdict(set)
    for name, href in parsed.links:
        if not href.startswith("#") and href != "/":
            places[name].add(href)
    return {name: hrefs for name, hrefs in places.items() if len(hrefs) > 1}


@pytest.fixture
def two_items(enrolment, evidence, learner, catalogue):
    """Alice's first item (unit A, B 1.1) and a second one on unit B, both waiting for bob."""
    waiting = add_evidence(
        enrolment, learner, criteria_list=criteria(catalogue.unit_b), title="Phone log"
    )
    return evidence, waiting


def test_assess_page_labels_each_feedback_box_by_its_criterion(client, tutor, two_items):
    _, waiting = two_items
    client.force_login(tutor)
    parsed = parse(client.get(reverse("moderation:evidence_assess", args=[waiting.pk])))
    rows = criteria(waiting.enrolment.units.get(code="A/100/0002"))
    assert parsed.textareas == {
        **{f"feedback_{c.pk}": f"Feedback on {c.shown_number}" for c in rows},
        "feedback": None,  # crispy renders its <label for>
    }
    assert shared_names(parsed) == {}


def test_queue_names_each_assess_link_by_item_and_learner(client, tutor, two_items):
    client.force_login(tutor)
    parsed = parse(client.get(reverse("moderation:tutor_queue")))
    assess = sorted(name for name, href in parsed.links if name.startswith("Assess"))
    assert assess == ["Assess E001, Alice Alicefield", "Assess E002, Alice Alicefield"]
    assert shared_names(parsed) == {}


def test_record_page_names_each_unit_link(client, tutor, signed_unit, enrolment):
    client.force_login(tutor)
    parsed = parse(client.get(reverse("moderation:enrolment_record", args=[enrolment.pk])))
    assert ("Open A/100/0002", reverse("moderation:unit_record", args=[enrolment.pk, 2])) in [
        (name, href.replace(str(enrolment.units.get(code="A/100/0002").pk), "2"))
        for name, href in parsed.links
    ]
    assert shared_names(parsed) == {}


def test_sampling_grid_names_each_cell_by_learner_and_unit(
    client, internal_moderator, tutor, centre, catalogue, signed_unit, enrolment
):
    plan = SamplingPlan.objects.create(
        centre=centre,
        qualification=catalogue.qualification,
        tutor=tutor,
        created_by=internal_moderator,
    )
    client.force_login(internal_moderator)
    parsed = parse(client.get(reverse("moderation:plan_detail", args=[plan.pk])))
    # Each cell's link names the learner and the unit (the grid's own labels, from the IQA work).
    cells = [name for name, href in parsed.links if f"/enrolments/{enrolment.pk}/units/" in href]
    assert cells
    assert all("Alice Alicefield" in name and "A/100/000" in name for name in cells), cells
    assert shared_names(parsed) == {}


def test_portfolio_names_each_unit_action_by_its_unit(client, centre_admin, enrolment, evidence):
    client.force_login(centre_admin)
    response = client.get(reverse("portfolio", args=[enrolment.pk]))
    parsed = parse(response)
    withdraw = sorted(name for name, href in parsed.links if name.startswith("Withdraw"))
    assert withdraw == ["Withdraw… A/100/0001", "Withdraw… A/100/0002"]
    assert shared_names(parsed) == {}
    # The print menus are buttons: each names its unit too.
    html = response.content.decode()
    assert html.count('Print this unit<span class="visually-hidden"> A/100/0001</span>') == 1
    assert html.count('Print this unit<span class="visually-hidden"> A/100/0002</span>') == 1


def test_navigation_marks_the_open_page_current(client, tutor, centre):
    client.force_login(tutor)
    queue = reverse("moderation:tutor_queue")
    assert parse(client.get(queue)).current == [queue]
    catalogue = reverse("catalogue")
    assert parse(client.get(catalogue)).current == [catalogue]
    # A page that is not in the navigation marks nothing.
    assert parse(client.get(reverse("moderation:notification_list"))).current == []
