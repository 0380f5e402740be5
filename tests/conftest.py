"""One person per role at centre A, and an outsider with every role at centre B."""

from pathlib import Path

import pytest
from django.conf import settings

from accounts.enums import Role
from tests.factories import PASSWORD, CentreFactory, MembershipFactory, UserFactory

SEEDS_DIR = Path(settings.BASE_DIR).parent / "shared" / "seeds"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production's hasher costs a quarter of a second a password by design; the tests make
    hundreds of people. Signing in and e-signatures work the same with this one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def own_cache(settings):
    """A cache of each test's own: the site's default is a file cache under var/, which every
    test process would share, and what one test cached (a centre's dashboard summary, a rate
    limit's count) would be read by another whose rows happen to carry the same ids."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def centre(db):
    return CentreFactory(name="Alpha College", centre_number="A0001")


@pytest.fixture
def other_centre(db):
    return CentreFactory(name="Beta Training", centre_number="B0002")


def _person(username):
    """Names no random name can share, so "must not show" checks cannot pass or fail by luck."""
    name = username.capitalize()
    return UserFactory(username=username, first_name=name, last_name=f"{name}field")


def _member(username, centre, role):
    user = _person(username)
    MembershipFactory(user=user, centre=centre, role=role)
    return user


@pytest.fixture
def learner(centre):
    return _member("alice", centre, Role.LEARNER)


@pytest.fixture
def tutor(centre):
    return _member("bob", centre, Role.TUTOR)


@pytest.fixture
def internal_moderator(centre):
    return _member("ivy", centre, Role.INTERNAL_MODERATOR)


@pytest.fixture
def external_moderator(centre):
    return _member("eric", centre, Role.EXTERNAL_MODERATOR)


@pytest.fixture
def centre_admin(centre):
    return _member("carol", centre, Role.CENTRE_ADMIN)


@pytest.fixture
def outsider(other_centre):
    """Charlie holds every role, but only at centre B."""
    user = _person("charlie")
    for role in Role:
        MembershipFactory(user=user, centre=other_centre, role=role)
    return user


@pytest.fixture
def people(learner, tutor, internal_moderator, external_moderator, centre_admin):
    return {
        Role.LEARNER: learner,
        Role.TUTOR: tutor,
        Role.INTERNAL_MODERATOR: internal_moderator,
        Role.EXTERNAL_MODERATOR: external_moderator,
        Role.CENTRE_ADMIN: centre_admin,
    }


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser journeys last: their live server needs a flushed database afterwards, which
    also empties what migrations put there (the standard evidence methods)."""
    items.sort(key=lambda item: "tests/e2e/" in str(item.fspath))
