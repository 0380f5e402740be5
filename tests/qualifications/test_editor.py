"""The rules editor: who may use it, what it saves, and that an in-use version never changes."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.enums import AuditAction
from audit.models import AuditEntry
from portfolios import services as portfolio_services
from qualifications.editor import GroupRow, RulesChange, qualification_rules_save, rules_of
from qualifications.models import (
    AwardingBody,
    BarredCombination,
    Qualification,
    QualificationUnit,
    Unit,
    UnitGroup,
)
from tests.catalogue import load_seed_catalogue
from tests.factories import UserFactory


def _qualification(number, *, centre=None, title="Diploma in Editing"):
    body, _ = AwardingBody.objects.get_or_create(short_name="TAB", defaults={"name": "TAB"})
    qualification = Qualification.objects.create(
        number=number, title=title, awarding_body=body, level=3, centre=centre
    )
    mandatory = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True, position=0
    )
    optional = UnitGroup.objects.create(
        qualification=qualification, name="Optional group A", position=1
    )
    prefix = number.replace("/", "")
    specs = [("Core", 2, 3, mandatory), ("Option one", 3, 5, optional)]
    specs.append(("Option two", 3, None, optional))
    for position, (title_, level, credits, group) in enumerate(specs):
        unit = Unit.objects.create(
            slug=f"{prefix}-{position}",
            title=f"{title_} ({number})",
            level=level,
            credit_value=credits,
            centre=centre,
        )
        QualificationUnit.objects.create(
            qualification=qualification, unit=unit, group=group, position=position
        )
    return qualification


@pytest.fixture
def shared(db):
    return _qualification("600/0003/3")


@pytest.fixture
def own(centre):
    return _qualification("IH/0001", centre=centre, title="Alpha's in-house award")


@pytest.fixture
def others(other_centre):
    return _qualification("IH/0002", centre=other_centre, title="Beta's secret award")


@pytest.fixture
def staff(db):
    return UserFactory(username="stella", first_name="Stella", last_name="Staffield", is_staff=True)


@pytest.fixture
def catalogue_editor(db):
    user = UserFactory(username="edwin", first_name="Edwin", last_name="Editorfield")
    user.user_permissions.add(Permission.objects.get(codename="edit_shared_catalogue"))
    return user


def _units(qualification):
    return {
        link.unit.title.split(" (")[0]: link.unit
        for link in qualification.qualification_units.select_related("unit")
    }


def _post_data(qualification, *, rules=None, groups=None, units=None, barred=()):
    """The editor's form as the page sends it, from the rules as they are, with changes."""
    current = rules_of(qualification)
    data = {
        "rules-min_credits": current.min_credits or "",
        "rules-min_credits_at_level": current.min_credits_at_level or "",
        "rules-at_level": current.at_level or "",
        "rules-thresholds": "",
    }
    data.update({f"rules-{k}": v for k, v in (rules or {}).items()})
    group_rows = [g.__dict__ | {"delete": False} for g in current.groups]
    for index, values in (groups or {}).items():
        if index >= len(group_rows):
            group_rows.append({"key": "", "name": "", "is_mandatory": False})
        group_rows[index] = group_rows[index] | values
    data["groups-TOTAL_FORMS"] = len(group_rows)
    data["groups-INITIAL_FORMS"] = len(current.groups)
    for i, row in enumerate(group_rows):
        for name in ("key", "name", "min_units", "max_units", "min_credits", "max_credits"):
            value = row.get(name)
            data[f"groups-{i}-{name}"] = "" if value is None else value
        if row.get("is_mandatory"):
            data[f"groups-{i}-is_mandatory"] = "on"
        if row.get("delete"):
            data[f"groups-{i}-DELETE"] = "on"
    unit_rows = [u.__dict__ for u in current.units]
    data["units-TOTAL_FORMS"] = data["units-INITIAL_FORMS"] = len(unit_rows)
    for i, row in enumerate(unit_rows):
        row = row | (units or {}).get(row["lineage"], {})
        for name in ("lineage", "group", "credit_value", "glh", "tqt"):
            data[f"units-{i}-{name}"] = "" if row[name] is None else row[name]
    pairs = list(current.barred) + list(barred)
    data["barred-TOTAL_FORMS"] = len(pairs)
    data["barred-INITIAL_FORMS"] = len(current.barred)
    for i, (unit, bar) in enumerate(pairs):
        data[f"barred-{i}-unit"], data[f"barred-{i}-barred"] = unit, bar
    return data


def _url(qualification):
    return reverse("qualification_rules", args=[qualification.pk])


def _catalogue_rows():
    return (
        list(Qualification.objects.values_list("pk", "min_credits", "grading").order_by("pk")),
        list(UnitGroup.objects.values().order_by("pk")),
        list(Unit.objects.values("pk", "credit_value", "glh", "tqt").order_by("pk")),
        list(QualificationUnit.objects.values().order_by("pk")),
        list(BarredCombination.objects.values().order_by("pk")),
        AuditEntry.objects.count(),
    )


# ---------------------------------------------------------------- who may use it


def test_centre_admin_edits_their_centres_own_qualification(client, centre_admin, own):
    client.force_login(centre_admin)
    page = client.get(_url(own))
    assert page.status_code == 200
    assert "Rules of combination" in page.text
    option_one = _units(own)["Option one"]
    response = client.post(
        _url(own),
        _post_data(
            own,
            rules={"min_credits": 8},
            groups={1: {"max_units": 1, "min_credits": 5}},
            units={option_one.lineage: {"glh": 40, "tqt": 60}},
        ),
    )
    assert response.status_code == 302
    assert response.url == _url(own)
    own.refresh_from_db()
    group = UnitGroup.objects.get(qualification=own, name="Optional group A")
    option_one.refresh_from_db()
    assert (own.version, own.min_credits) == (1, 8)
    assert (group.max_units, group.min_credits) == (1, 5)
    assert (option_one.glh, option_one.tqt, option_one.version) == (40, 60, 1)
    follow = client.get(response.url)
    assert "The rules are saved." in follow.text


def test_centre_admin_may_not_change_the_shared_catalogue(client, centre_admin, shared):
    client.force_login(centre_admin)
    assert client.get(_url(shared)).status_code == 403
    before = _catalogue_rows()
    forged = client.post(_url(shared), _post_data(shared, rules={"min_credits": 99}))
    assert forged.status_code == 403
    assert _catalogue_rows() == before
    page = client.get(shared.get_absolute_url())
    assert 'data-testid="edit-rules"' not in page.text


def test_centre_admin_service_refused_on_shared(centre_admin, shared):
    before = _catalogue_rows()
    with pytest.raises(PermissionDenied):
        qualification_rules_save(
            qualification=shared,
            change=RulesChange(**{**rules_of(shared).__dict__, "min_credits": 99}),
            by=centre_admin,
        )
    assert _catalogue_rows() == before


def test_other_centres_own_qualification_is_hidden(client, centre_admin, others):
    client.force_login(centre_admin)
    assert client.get(_url(others)).status_code == 404
    before = _catalogue_rows()
    forged = client.post(_url(others), _post_data(others, rules={"min_credits": 1}))
    assert forged.status_code == 404
    assert "Beta's secret award" not in forged.text
    assert _catalogue_rows() == before


def test_other_roles_of_the_centre_may_not_edit(client, learner, tutor, own):
    for person in (learner, tutor):
        client.force_login(person)
        assert client.get(_url(own)).status_code == 403
        before = _catalogue_rows()
        assert client.post(_url(own), _post_data(own, rules={"min_credits": 3})).status_code == 403
        assert _catalogue_rows() == before


def test_anonymous_is_sent_to_sign_in(client, shared):
    response = client.get(_url(shared))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["staff", "catalogue_editor"])
def test_staff_and_catalogue_editors_edit_shared(client, request, who, shared):
    person = request.getfixturevalue(who)
    client.force_login(person)
    assert client.get(shared.get_absolute_url()).text.count('data-testid="edit-rules"') == 1
    response = client.post(_url(shared), _post_data(shared, rules={"min_credits": 8}))
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.min_credits == 8
    entry = AuditEntry.objects.filter(action=AuditAction.CATALOGUE_CHANGED).last()
    assert (entry.actor, entry.summary) == (person, f"Rules of combination of {shared} changed")


def test_staff_may_edit_a_centres_own_qualification(client, staff, own):
    client.force_login(staff)
    assert client.get(_url(own)).status_code == 200


# ---------------------------------------------------------------- versions


def _enrol(qualification, *, centre, learner, tutor, by):
    units = [link.unit for link in qualification.qualification_units.all()]
    return portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=qualification,
        units=units,
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=by,
    )


def test_saving_an_in_use_version_makes_a_new_one(
    client, centre, centre_admin, learner, tutor, own
):
    enrolment = _enrol(own, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    option_two = _units(own)["Option two"]
    client.force_login(centre_admin)
    assert 'data-testid="in-use"' in client.get(_url(own)).text
    before_groups = list(UnitGroup.objects.filter(qualification=own).values())
    response = client.post(
        _url(own),
        _post_data(
            own,
            rules={"min_credits": 10},
            groups={1: {"min_units": 1}},
            units={option_two.lineage: {"credit_value": 4}},
        ),
    )
    assert response.status_code == 302
    new = Qualification.objects.get(centre=centre, number=own.number, version=2)
    assert response.url == _url(new)
    page = client.get(response.url)
    assert (
        "Saved as version 2. Learners stay on version 1 until a centre admin moves them."
        in page.text
    )
    # The old version, its groups, its unit and the learner's record are as they were.
    own.refresh_from_db()
    option_two.refresh_from_db()
    enrolment.refresh_from_db()
    assert (own.version, own.min_credits) == (1, None)
    assert list(UnitGroup.objects.filter(qualification=own).values()) == before_groups
    assert (option_two.credit_value, option_two.version) == (None, 1)
    assert enrolment.qualification_id == own.pk
    # The new version has the rules and the new unit version in the old one's place.
    assert new.min_credits == 10
    assert UnitGroup.objects.get(qualification=new, name="Optional group A").min_units == 1
    swapped = new.units.get(lineage=option_two.lineage)
    assert (swapped.version, swapped.credit_value, swapped.slug) == (
        2,
        4,
        f"{option_two.lineage}-v2",
    )
    assert set(own.units.values_list("pk", flat=True)) >= {option_two.pk}


def test_saving_again_goes_into_the_unused_new_version(centre, centre_admin, learner, tutor, own):
    _enrol(own, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    change = rules_of(own)
    first = qualification_rules_save(
        qualification=own,
        change=RulesChange(**{**change.__dict__, "min_credits": 9}),
        by=centre_admin,
    )
    second = qualification_rules_save(
        qualification=own,
        change=RulesChange(**{**change.__dict__, "min_credits": 7}),
        by=centre_admin,
    )
    assert (first.made_new, second.made_new) == (True, False)
    assert first.qualification.pk == second.qualification.pk
    assert Qualification.objects.filter(number=own.number).count() == 2
    second.qualification.refresh_from_db()
    assert second.qualification.min_credits == 7
    assert second.message == (
        "Saved into version 2, which no learner uses yet. Learners stay on version 1 until a "
        "centre admin moves them."
    )


def test_nothing_changed_makes_no_version(centre, centre_admin, learner, tutor, own):
    _enrol(own, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    before = _catalogue_rows()
    saved = qualification_rules_save(qualification=own, change=rules_of(own), by=centre_admin)
    assert (saved.changed, saved.message) == (False, "Nothing changed.")
    assert _catalogue_rows() == before


# ---------------------------------------------------------------- what it edits


def test_groups_added_renamed_and_removed(centre_admin, own):
    units = _units(own)
    change = rules_of(own)
    mandatory, group_a = change.groups
    saved = qualification_rules_save(
        qualification=own,
        change=RulesChange(
            **{
                **change.__dict__,
                "groups": (
                    GroupRow(key=mandatory.key, name="Optional group A", is_mandatory=True),
                    GroupRow(key=group_a.key, name="Mandatory units", max_units=2),
                    GroupRow(key="", name="Optional group B", min_credits=1),
                ),
            }
        ),
        by=centre_admin,
    )
    assert saved.qualification.pk == own.pk
    groups = list(UnitGroup.objects.filter(qualification=own).order_by("position"))
    assert [(g.name, g.is_mandatory, g.max_units, g.min_credits) for g in groups] == [
        ("Optional group A", True, None, None),
        ("Mandatory units", False, 2, None),
        ("Optional group B", False, None, 1),
    ]
    assert QualificationUnit.objects.get(unit=units["Core"]).group == groups[0]
    # Remove the now-empty group B, and move a unit to another group.
    change = rules_of(own)
    rows = list(change.units)
    rows[2] = rows[2].__class__(**{**rows[2].__dict__, "group": "Optional group A"})
    qualification_rules_save(
        qualification=own,
        change=RulesChange(
            **{
                **change.__dict__,
                "groups": (
                    *change.groups[:2],
                    GroupRow(**{**change.groups[2].__dict__, "delete": True}),
                ),
                "units": tuple(rows),
            }
        ),
        by=centre_admin,
    )
    assert list(
        UnitGroup.objects.filter(qualification=own)
        .order_by("position")
        .values_list("name", flat=True)
    ) == ["Optional group A", "Mandatory units"]
    assert QualificationUnit.objects.get(unit=units["Option two"]).group.name == "Optional group A"


def test_barred_pairs_and_grading_saved(client, centre_admin, own):
    units = _units(own)
    client.force_login(centre_admin)
    pair = (units["Option one"].lineage, units["Option two"].lineage)
    response = client.post(
        _url(own),
        _post_data(
            own,
            barred=[pair],
            rules={
                "points_pass": 7,
                "points_merit": 8,
                "points_distinction": 9,
                "thresholds": "Distinction: 25\nMerit: 22\nPass: 0",
            },
        ),
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.grading == {
        "unit_points": {"pass": 7, "merit": 8, "distinction": 9},
        "per_credit": False,
        "thresholds": [
            {"grade": "Distinction", "min_points": 25},
            {"grade": "Merit", "min_points": 22},
            {"grade": "Pass", "min_points": 0},
        ],
    }
    [bar] = BarredCombination.objects.filter(qualification=own)
    assert (bar.unit, bar.barred) == (units["Option one"], units["Option two"])
    page = client.get(own.get_absolute_url())
    assert "cannot be taken with" in page.text


@pytest.mark.parametrize(
    ("post", "message"),
    [
        (
            {"groups": {1: {"min_units": 3, "max_units": 2}}},
            "Optional group A: the minimum of 3 units is more than the maximum of 2.",
        ),
        (
            {"groups": {1: {"min_credits": 9, "max_credits": 4}}},
            "Optional group A: the minimum of 9 credits is more than the maximum of 4.",
        ),
        (
            {"groups": {1: {"min_units": 3}}},
            "Optional group A: at least 3 units, but the group has 2.",
        ),
        (
            {"groups": {1: {"name": "Mandatory units"}}},
            "Two groups are called “Mandatory units”: each needs its own name.",
        ),
        ({"groups": {1: {"delete": True}}}, "is in no group: choose its group."),
        (
            {"rules": {"min_credits_at_level": 20}},
            "The level rule needs both the minimum credits and the level (or neither).",
        ),
        ({"barred": "self"}, "cannot be barred from itself."),
        (
            {"rules": {"points_pass": 7, "thresholds": "Pass: 0"}},
            "Grading points table: Points for a Merit unit must be a whole number ≥ 0.",
        ),
        (
            {
                "rules": {
                    "points_pass": 7,
                    "points_merit": 8,
                    "points_distinction": 9,
                    "thresholds": "Merit: 1\nPass: 5",
                }
            },
            "Grading points table: Thresholds must be listed highest first, each lower than "
            "the last.",
        ),
    ],
)
def test_bad_input_is_named_and_nothing_is_saved(client, centre_admin, own, post, message):
    if post.get("barred") == "self":
        lineage = _units(own)["Option one"].lineage
        post = {"barred": [(lineage, lineage)]}
    client.force_login(centre_admin)
    before = _catalogue_rows()
    response = client.post(_url(own), _post_data(own, **post))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _catalogue_rows() == before


def test_forged_unit_and_group_change_nothing(client, centre_admin, own, shared):
    client.force_login(centre_admin)
    stranger = _units(shared)["Core"]
    data = _post_data(own)
    data["units-0-lineage"] = stranger.lineage
    before = _catalogue_rows()
    response = client.post(_url(own), data)
    assert response.status_code == 400
    assert f"Unit {stranger.lineage} is not part of IH/0001." in response.content.decode()
    data = _post_data(own)
    data["units-0-group"] = "No such group"
    assert client.post(_url(own), data).status_code == 400
    data = _post_data(own)
    data["groups-1-key"] = "Forged group"
    response = client.post(_url(own), data)
    assert response.status_code == 400
    assert "There is no group “Forged group” in this qualification." in response.content.decode()
    assert _catalogue_rows() == before


def test_a_centre_admin_cannot_change_a_shared_units_credits(centre, centre_admin, own, shared):
    shared_unit = _units(shared)["Core"]
    QualificationUnit.objects.create(
        qualification=own,
        unit=shared_unit,
        group=UnitGroup.objects.get(qualification=own, name="Optional group A"),
        position=9,
    )
    change = rules_of(own)
    rows = tuple(
        u.__class__(**{**u.__dict__, "credit_value": 12}) if u.lineage == shared_unit.lineage else u
        for u in change.units
    )
    before = _catalogue_rows()
    with pytest.raises(ValidationError) as refused:
        qualification_rules_save(
            qualification=own,
            change=RulesChange(**{**change.__dict__, "units": rows}),
            by=centre_admin,
        )
    assert refused.value.messages == [
        f"Unit {shared_unit.title} belongs to the shared catalogue: its credits, GLH and TQT are "
        "changed by the catalogue's editors."
    ]
    assert _catalogue_rows() == before


def test_the_command_line_may_change_shared_rules(shared):
    change = rules_of(shared)
    saved = qualification_rules_save(
        qualification=shared, change=RulesChange(**{**change.__dict__, "min_credits": 3}), by=None
    )
    assert saved.qualification.min_credits == 3


def test_seed_credits_are_shown_and_the_diploma_gets_its_credits_in_the_editor(client, staff):
    load_seed_catalogue()
    client.force_login(staff)
    unit = Unit.objects.get(code="J/507/1557")
    page = client.get(unit.get_absolute_url()).text
    assert '<dt class="col-sm-3">Credit value</dt><dd class="col-sm-9">9</dd>' in page
    assert '<dt class="col-sm-3">Guided learning hours</dt><dd class="col-sm-9">42</dd>' in page
    diploma = Qualification.objects.get(number="601/3734/4")
    # Its seed states no credits: nothing is invented.
    assert not Unit.objects.filter(qualifications=diploma, credit_value__isnull=False).exists()
    deliver = Unit.objects.get(code="A/506/2130")
    response = client.post(
        _url(diploma),
        _post_data(diploma, units={deliver.lineage: {"credit_value": 5, "glh": 30}}),
    )
    assert response.status_code == 302
    deliver.refresh_from_db()
    assert (deliver.credit_value, deliver.glh, deliver.version) == (5, 30, 1)
    rows = client.get(diploma.get_absolute_url()).context["groups"][0][1]
    assert [r.unit.credit_value for r in rows if r.unit.pk == deliver.pk] == [5]
