"""The demo centre: one sign-in per role, created idempotently by `seed_demo`."""

from dataclasses import dataclass, field

from accounts.enums import Role
from accounts.models import Centre, User
from accounts.services import role_give

DEMO_PASSWORD = "portfolio-demo"  # noqa: S105 (printed on start; demo data only)
DEMO_CENTRE_NUMBER = "DEMO-0001"

DEMO_PEOPLE = [
    # username, first name, last name, roles held at the demo centre
    ("learner", "Lena", "Learner", [Role.LEARNER]),
    ("tutor", "Tom", "Tutor", [Role.TUTOR]),
    ("iqa", "Irene", "Quality", [Role.INTERNAL_MODERATOR]),
    ("eqa", "Edward", "External", [Role.EXTERNAL_MODERATOR]),
    ("centreadmin", "Ada", "Admin", [Role.CENTRE_ADMIN]),
]


@dataclass
class DemoCentre:
    centre: Centre
    users: dict[str, User] = field(default_factory=dict)
    sign_ins: list[tuple[str, str]] = field(default_factory=list)


def _person(username, first_name, last_name, *, staff=False) -> User:
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@demo.example",
        },
    )
    user.is_staff = user.is_superuser = staff
    user.is_active = True
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def seed_demo_centre(*, extra_learners: int = 0) -> DemoCentre:
    centre, _ = Centre.objects.update_or_create(
        centre_number=DEMO_CENTRE_NUMBER, defaults={"name": "Northfield Training Centre"}
    )
    demo = DemoCentre(centre=centre)
    for username, first, last, roles in DEMO_PEOPLE:
        user = _person(username, first, last)
        demo.users[username] = user
        for role in roles:
            role_give(centre=centre, person=user, role=role, by=None)
        demo.sign_ins.append((" + ".join(Role(r).label for r in roles), username))
    demo.users["staff"] = _person("staff", "Sam", "Staff", staff=True)
    demo.sign_ins.append(("Site staff (admin)", "staff"))
    for number in range(1, extra_learners + 1):
        user = _person(f"learner{number:03d}", "Learner", f"{number:03d}")
        role_give(centre=centre, person=user, role=Role.LEARNER, by=None)
    return demo
