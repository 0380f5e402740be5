import factory
from django.db import transaction

from accounts.enums import Role
from accounts.models import Centre, Membership, User
from accounts.services import role_give, role_take

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"Centre {n}")
    centre_number = factory.Sequence(lambda n: f"C{n:05d}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    role = Role.LEARNER

    @classmethod
    def _create(cls, model_class, *args, user, centre, role, is_active=True, **kwargs):
        # Through the service, so every role has its entry in the audit trail, as in the
        # product (`verify_audit` reports a membership without one).
        with transaction.atomic():
            role_give(centre=centre, person=user, role=role, by=None)
            if not is_active:
                role_take(centre=centre, person=user, role=role, by=None)
        return model_class.objects.get(user=user, centre=centre, role=role)
