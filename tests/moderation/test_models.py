import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AppendOnlyError, AuditEntry
from moderation.models import Sample, SampleDecision
from portfolios.models import CriterionDecision, SignOffAcknowledgement, UnitSignOff
from tests.moderation.conftest import criteria, moderate


@pytest.fixture
def record(signed_unit, enrolment, learner, internal_moderator, catalogue):
    from moderation import services

    services.sign_off_acknowledge(sign_off=signed_unit, by=learner)
    moderate(enrolment, catalogue.unit_a, internal_moderator)


@pytest.mark.parametrize(
    "model",
    [CriterionDecision, UnitSignOff, SignOffAcknowledgement, Sample, SampleDecision, AuditEntry],
)
def test_records_are_never_changed_or_deleted(record, model):
    row = model.objects.first()
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        model.objects.all().update(pk=row.pk)
    with pytest.raises(AppendOnlyError):
        model.objects.all().delete()
    assert model.objects.filter(pk=row.pk).exists()


def test_database_refuses_a_second_first_decision(enrolment, evidence, tutor, catalogue):
    criterion = criteria(catalogue.unit_a)[0]

    def first():
        return CriterionDecision(
            enrolment=enrolment,
            criterion=criterion,
            outcome="met",
            decided_on=timezone.localdate(),
            decided_by=tutor,
        )

    first().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        first().save()


def test_database_refuses_not_yet_met_without_feedback(enrolment, tutor, catalogue):
    with pytest.raises(IntegrityError), transaction.atomic():
        CriterionDecision(
            enrolment=enrolment,
            criterion=criteria(catalogue.unit_a)[0],
            outcome="not_yet_met",
            decided_on=timezone.localdate(),
            decided_by=tutor,
        ).save()
