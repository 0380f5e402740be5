"""Who may print what: blank forms for anyone signed in, a portfolio's only for those who may
open it (404 for anyone else, with data that could leak)."""

import io
import zipfile

import pytest
from django.urls import reverse

from accounts.enums import Role
from checklists.enums import Layout
from tests.checklists.helpers import enrol, pdf_reader, pdf_text, squash


def enrolment_url(enrolment, layout=Layout.ACHIEVEMENT):
    return reverse("checklist_enrolment", args=[enrolment.pk, layout])


def enrolment_unit_url(enrolment, unit, layout=Layout.ACHIEVEMENT):
    return reverse("checklist_enrolment_unit", args=[enrolment.pk, unit.slug, layout])


def assert_pdf(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "no-store" in response["Cache-Control"]
    return pdf_text(response.content)


# Blank forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(Layout))
def test_blank_unit_form_for_anyone_signed_in(client, learner, catalogue, layout):
    client.force_login(learner)
    unit = catalogue.units[0]
    response = client.get(reverse("checklist_blank_unit", args=[unit.slug, layout]))
    text = assert_pdf(response)
    assert (
        response["Content-Disposition"] == f'inline; filename="{layout.value}-blank-a-100-0001.pdf"'
    )
    for criterion in unit.criteria.all():
        assert squash(criterion.text) in text


def test_blank_qualification_form_has_all_units(client, external_moderator, catalogue):
    client.force_login(external_moderator)
    response = client.get(
        reverse("checklist_blank_qualification", args=[catalogue.qualification.pk, "record"])
    )
    text = assert_pdf(response)
    assert "A/100/0001" in text and "B/100/0002" in text


def test_blank_forms_need_sign_in(client, catalogue):
    unit_url = reverse("checklist_blank_unit", args=[catalogue.units[0].slug, "assessment"])
    response = client.get(unit_url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={unit_url}"
    qual_url = reverse("checklist_blank_qualification", args=[catalogue.qualification.pk, "record"])
    assert client.get(qual_url).status_code == 302


def test_blank_form_of_unknown_unit_or_layout_is_404(client, learner, catalogue):
    client.force_login(learner)
    assert (
        client.get(reverse("checklist_blank_unit", args=["no-such-unit", "record"])).status_code
        == 404
    )
    assert (
        client.get(f"/checklists/blank/units/{catalogue.units[0].slug}/poster.pdf").status_code
        == 404
    )


def test_unit_page_offers_the_blank_forms(client, learner, catalogue):
    client.force_login(learner)
    unit = catalogue.units[0]
    page = client.get(unit.get_absolute_url()).content.decode()
    for layout in Layout:
        assert reverse("checklist_blank_unit", args=[unit.slug, layout]) in page
    assert "Print blank form" in page


def test_qualification_page_offers_the_blank_forms(client, learner, catalogue):
    client.force_login(learner)
    page = client.get(catalogue.qualification.get_absolute_url()).content.decode()
    assert (
        reverse("checklist_blank_qualification", args=[catalogue.qualification.pk, "achievement"])
        in page
    )


# A learner's checklist ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.LEARNER, Role.TUTOR, Role.CENTRE_ADMIN, Role.INTERNAL_MODERATOR]
)
def test_people_who_may_open_the_portfolio_print_it(client, people, portfolio, enrolment, role):
    client.force_login(people[role])
    response = client.get(enrolment_url(enrolment))
    text = assert_pdf(response)
    assert "AliceArcher" in text and "WelcomedesklogE001" in text
    assert response["Content-Disposition"] == (
        'inline; filename="achievement-alice-archer-600-0001-1.pdf"'
    )


def test_anonymous_is_sent_to_sign_in(client, portfolio, enrolment):
    url = enrolment_url(enrolment)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_a_learner_cannot_print_another_learners_checklist(
    client, portfolio, enrolment, other_learner
):
    client.force_login(other_learner)
    for layout in Layout:
        response = client.get(enrolment_url(enrolment, layout))
        assert response.status_code == 404
        assert b"Welcome desk log" not in response.content
    unit = enrolment.units.first()
    assert client.get(enrolment_unit_url(enrolment, unit)).status_code == 404


def test_another_tutor_cannot_print_it(client, portfolio, enrolment, other_tutor):
    client.force_login(other_tutor)
    assert client.get(enrolment_url(enrolment)).status_code == 404


def test_another_centres_people_cannot_print_it(client, portfolio, enrolment, outsider):
    client.force_login(outsider)
    response = client.get(enrolment_url(enrolment))
    assert response.status_code == 404
    assert b"%PDF" not in response.content


def test_an_external_moderator_without_a_sample_cannot_print_it(
    client, portfolio, enrolment, external_moderator
):
    """A role at the centre is not enough: nothing links eric to alice's portfolio yet."""
    client.force_login(external_moderator)
    assert client.get(enrolment_url(enrolment)).status_code == 404


def test_a_learner_cannot_reach_charlies_checklist_by_number(
    client, portfolio, learner, outsider_portfolio
):
    client.force_login(learner)
    response = client.get(enrolment_url(outsider_portfolio))
    assert response.status_code == 404
    assert b"Charlie" not in response.content


def test_one_unit_prints_for_the_learner(client, portfolio, enrolment, catalogue, learner):
    client.force_login(learner)
    unit = catalogue.units[1]
    text = assert_pdf(client.get(enrolment_unit_url(enrolment, unit, Layout.UNIT_ASSESSMENT)))
    assert "B/100/0002" in text and "A/100/0001" not in text


def test_a_unit_the_learner_does_not_take_is_404(
    client, catalogue, centre, named_people, centre_admin
):
    learner, tutor = named_people
    enrolment = enrol(
        catalogue,
        centre=centre,
        learner=learner,
        tutor=tutor,
        by=centre_admin,
        units=catalogue.units[:1],
    )
    client.force_login(learner)
    assert client.get(enrolment_unit_url(enrolment, catalogue.units[1])).status_code == 404


def test_portfolio_page_offers_the_print_buttons(client, portfolio, enrolment, catalogue, learner):
    client.force_login(learner)
    page = client.get(reverse("portfolio", args=[enrolment.pk])).content.decode()
    assert enrolment_url(enrolment) in page
    for unit in catalogue.units:
        assert enrolment_unit_url(enrolment, unit) in page


# The tagged units beside the merged print, and the 000 form's option --------------------------


def units_zip_url(enrolment, layout=Layout.ACHIEVEMENT):
    return reverse("checklist_enrolment_units", args=[enrolment.pk, layout])


def test_each_units_tagged_pdf_comes_in_one_zip(client, portfolio, enrolment, learner):
    client.force_login(learner)
    response = client.get(units_zip_url(enrolment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        'attachment; filename="achievement-alice-archer-600-0001-1-units.zip"'
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["01-a-100-0001.pdf", "02-b-100-0002.pdf"]
    for name in archive.namelist():
        reader = pdf_reader(archive.read(name))
        assert reader.trailer["/Root"]["/MarkInfo"] == {"/Marked": True}
    assert "B/100/0002version1Keepdiaries" in pdf_text(archive.read("02-b-100-0002.pdf"))


def test_the_units_zip_is_404_for_people_with_no_link(
    client, portfolio, enrolment, other_learner, outsider
):
    url = units_zip_url(enrolment)
    assert client.get(url)["Location"] == f"{reverse('login')}?next={url}"
    for person in (other_learner, outsider):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 404
        assert b"Welcome desk log" not in response.content


def test_portfolio_page_offers_the_tagged_units(client, portfolio, enrolment, learner):
    client.force_login(learner)
    page = client.get(reverse("portfolio", args=[enrolment.pk])).content.decode()
    for layout in Layout:
        assert units_zip_url(enrolment, layout) in page
    assert "one accessible (tagged) PDF per unit, ZIP" in page


def test_the_unit_assessment_extras_are_an_option(client, learner, catalogue):
    client.force_login(learner)
    url = reverse("checklist_blank_unit", args=[catalogue.units[0].slug, "assessment"])
    plain = assert_pdf(client.get(url))
    extras = assert_pdf(client.get(f"{url}?extras=1"))
    assert "Portfolioreference" not in plain and "Name:Signature:" not in plain
    assert "Portfolioreference" in extras
    assert "LearnerCommentName:Signature:Date:" in extras
