from types import SimpleNamespace

import pytest

from moderation import plans as moderation_plans
from moderation import services
from moderation.enums import CellState, SampleOutcome, SampleStage
from moderation.sampling import build_grid, cell_state, share, stable_rank
from tests.moderation.conftest import criteria, decide, moderate, sign


def plan(**overrides):
    values = {
        "pk": 7,
        "learner_rate": 25,
        "unit_rate": 25,
        "include_interim": True,
        "include_summative": True,
        "new_tutor": False,
        "location_words": [],
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def learners(n):
    return [
        SimpleNamespace(pk=100 + i, learner_id=200 + i, learner=f"Learner {i}") for i in range(n)
    ]


UNITS = {u: SimpleNamespace(pk=u, code=f"U{u}") for u in range(1, 9)}


def grid(p, enrolments, **overrides):
    kwargs = {
        "plan": p,
        "enrolments": enrolments,
        "units_by_enrolment": {e.pk: list(UNITS) for e in enrolments},
        "unit_order": {u: u for u in UNITS},
        "units": UNITS,
        "new_units": set(),
        "risk_methods": set(),
        "risk_learners": set(),
        "risky_evidence": [],
        "decided": set(),
        "signed": {},
        "moderated": {},
    }
    kwargs.update(overrides)
    return build_grid(**kwargs)


def sampled(g):
    return {
        row.enrolment.pk: {c.unit_id for c in row.cells if c and c.sampled}
        for row in g.rows
        if row.sampled
    }


def test_share_rounds_up():
    assert [share(25, n) for n in (0, 1, 3, 4, 5, 8)] == [0, 1, 1, 1, 2, 2]
    assert share(0, 10) == 0 and share(100, 7) == 7


def test_stable_rank_is_stable():
    assert stable_rank(1, "learner", 2) == stable_rank(1, "learner", 2)
    assert stable_rank(1, "learner", 2) != stable_rank(2, "learner", 2)


def test_proposal_is_deterministic_and_meets_the_rates():
    first = sampled(grid(plan(), learners(8)))
    assert first == sampled(grid(plan(), learners(8)))
    assert len(first) == 2  # 25% of 8 learners
    assert all(len(units) == 2 for units in first.values())  # 25% of 8 units each


def test_another_plan_samples_differently():
    assert sampled(grid(plan(pk=7), learners(8))) != sampled(grid(plan(pk=8), learners(8)))


def test_new_tutor_samples_every_learner():
    g = grid(plan(new_tutor=True), learners(5))
    assert len(sampled(g)) == 5
    assert g.rows[0].reasons[0] == "new tutor"
    assert g.coverage.learners_target == 5


def test_risk_flags_add_learners_and_units():
    people = learners(8)
    watched = people[5]
    risky = (people[6].pk, 3, 42, "", "E004")
    located = (people[7].pk, 4, 1, "Depot B, Leeds", "E009")
    g = grid(
        plan(learner_rate=0, unit_rate=0, location_words=["depot b"]),
        people,
        risk_learners={watched.learner_id},
        risk_methods={42},
        risky_evidence=[risky, located],
        new_units={8},
    )
    chosen = sampled(g)
    assert set(chosen) == {watched.pk, people[6].pk, people[7].pk}
    assert 3 in chosen[people[6].pk] and 8 in chosen[people[6].pk]
    assert 4 in chosen[people[7].pk]
    assert len(chosen[watched.pk]) == 2  # one by rank (at least one), plus the new unit
    reasons = {row.enrolment.pk: row.reasons for row in g.rows}
    assert reasons[people[6].pk] == ["E004: method to watch"]
    assert reasons[people[7].pk] == ["E009: location to watch"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"sampled": False, "decided": False, "signed_id": None, "moderated": None},
            (CellState.NOT_SAMPLED, None),
        ),
        (
            {"sampled": True, "decided": False, "signed_id": None, "moderated": None},
            (CellState.NOT_READY, None),
        ),
        (
            {"sampled": True, "decided": True, "signed_id": None, "moderated": None},
            (CellState.DUE, SampleStage.INTERIM),
        ),
        (
            {"sampled": True, "decided": True, "signed_id": 5, "moderated": None},
            (CellState.DUE, SampleStage.SUMMATIVE),
        ),
        (
            {
                "sampled": True,
                "decided": True,
                "signed_id": 5,
                "moderated": SimpleNamespace(
                    outcome=SampleOutcome.AGREED, sign_off_id=5, stage="summative"
                ),
            },
            (CellState.DONE, None),
        ),
        (
            {
                "sampled": True,
                "decided": True,
                "signed_id": 6,
                "moderated": SimpleNamespace(
                    outcome=SampleOutcome.AGREED, sign_off_id=5, stage="summative"
                ),
            },
            (CellState.DUE, SampleStage.SUMMATIVE),
        ),
        (
            {
                "sampled": True,
                "decided": True,
                "signed_id": None,
                "moderated": SimpleNamespace(
                    outcome=SampleOutcome.REFERRED, sign_off_id=5, stage="summative"
                ),
            },
            (CellState.REFERRED, None),
        ),
    ],
)
def test_cell_state(kwargs, expected):
    assert cell_state(plan=plan(), **kwargs) == expected


def test_summative_only_plan_does_not_ask_for_interim_samples():
    assert cell_state(
        plan=plan(include_interim=False), sampled=True, decided=True, signed_id=None, moderated=None
    ) == (CellState.NOT_READY, None)


# ---------------------------------------------------------------- with the database


@pytest.fixture
def tutor_plan(centre, internal_moderator, tutor, catalogue):
    return services.plan_save(
        centre=centre,
        by=internal_moderator,
        tutor=tutor,
        qualification=catalogue.qualification,
        learner_rate=100,
        unit_rate=100,
        include_interim=True,
        include_summative=True,
    )


def test_plan_grid_follows_the_record(
    tutor_plan, enrolment, evidence, tutor, internal_moderator, catalogue
):
    (g,) = moderation_plans.plan_grids([tutor_plan])
    assert [u.pk for u in g.units] == [catalogue.unit_a.pk, catalogue.unit_b.pk]

    def states():
        cells = moderation_plans.plan_grids([tutor_plan])[0].rows[0].cells
        return {c.unit_id: c.state for c in cells}

    assert states() == {
        catalogue.unit_a.pk: CellState.NOT_READY,
        catalogue.unit_b.pk: CellState.NOT_READY,
    }
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    assert states()[catalogue.unit_a.pk] == CellState.DUE
    sign(enrolment, catalogue.unit_a, tutor)
    moderate(enrolment, catalogue.unit_a, internal_moderator, SampleOutcome.REFERRED)
    assert states()[catalogue.unit_a.pk] == CellState.REFERRED
    (g,) = moderation_plans.plan_grids([tutor_plan])
    assert g.coverage.cells_referred == 1 and g.coverage.learners_moderated == 1


def test_plan_rules(centre, internal_moderator, tutor, catalogue, centre_admin):
    from django.core.exceptions import ValidationError

    common = {
        "centre": centre,
        "tutor": tutor,
        "qualification": catalogue.qualification,
        "learner_rate": 10,
        "unit_rate": 10,
        "include_interim": True,
        "include_summative": True,
    }
    with pytest.raises(ValidationError):
        services.plan_save(by=centre_admin, **common)  # not an internal moderator
    with pytest.raises(ValidationError):
        services.plan_save(by=internal_moderator, **{**common, "tutor": internal_moderator})
    with pytest.raises(ValidationError):
        services.plan_save(
            by=internal_moderator,
            **{**common, "include_interim": False, "include_summative": False},
        )
    assert services.plan_save(by=internal_moderator, **common).learner_rate == 10
