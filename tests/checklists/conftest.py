"""A small qualification, alice's portfolio on it, and the people around it."""

import datetime

import pytest

from accounts.enums import Role
from tests.checklists.helpers import add_evidence, build_catalogue, enrol
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Cached and merged PDFs go to each test's own folder, never var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Background tasks run at once, inside the request that queues them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def catalogue(db):
    return build_catalogue()


@pytest.fixture
def named_people(learner, tutor):
    """Names the PDFs can be searched for (the factories' are random)."""
    for user, first, last in ((learner, "Alice", "Archer"), (tutor, "Bob", "Baker")):
        user.first_name, user.last_name = first, last
        user.save()
    return learner, tutor


@pytest.fixture
def enrolment(catalogue, centre, named_people, centre_admin):
    learner, tutor = named_people
    return enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)


@pytest.fixture
def portfolio(enrolment, catalogue, named_people):
    """Alice's portfolio: two submitted items and one draft the checklists must leave out."""
    learner, _ = named_people
    first = add_evidence(
        enrolment,
        by=learner,
        title="Welcome desk log",
        criteria=catalogue.criteria(0)[:2],
        date=datetime.date(2026, 2, 3),
    )
    second = add_evidence(
        enrolment,
        by=learner,
        title="Diary review notes",
        criteria=[catalogue.criteria(0)[0], *catalogue.criteria(1)],
        date=datetime.date(2026, 3, 9),
    )
    draft = add_evidence(
        enrolment,
        by=learner,
        title="Unfinished draft",
        criteria=[catalogue.criteria(0)[4]],
        submit=False,
    )
    return {"first": first, "second": second, "draft": draft}


@pytest.fixture
def other_learner(centre):
    user = UserFactory(username="dora", first_name="Dora", last_name="Dunn")
    MembershipFactory(user=user, centre=centre, role=Role.LEARNER)
    return user


@pytest.fixture
def other_tutor(centre):
    user = UserFactory(username="tess", first_name="Tess", last_name="Thorne")
    MembershipFactory(user=user, centre=centre, role=Role.TUTOR)
    return user


@pytest.fixture
def outsider_portfolio(catalogue, other_centre, outsider):
    """Charlie's portfolio at centre B, with evidence that must never show at centre A."""
    enrolment = enrol(catalogue, centre=other_centre, learner=outsider, tutor=outsider, by=outsider)
    add_evidence(
        enrolment, by=outsider, title="Charlie's private log", criteria=catalogue.criteria(0)[:1]
    )
    return enrolment
