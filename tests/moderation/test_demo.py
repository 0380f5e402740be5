from django.core.management import call_command

from audit.chain import verify_chain
from audit.models import AuditEntry
from moderation.models import SampleDecision, SamplingPlan
from portfolios.models import CriterionDecision, EqaGrant, SignOffAcknowledgement, UnitSignOff
from tests.catalogue import load_seed_catalogue


def test_seed_demo_shows_every_state_once(db, capsys):
    load_seed_catalogue()
    call_command("seed_demo", learners=3)
    assert "Assessment demo:" in capsys.readouterr().out
    counts = {
        model: model.objects.count()
        for model in (
            CriterionDecision,
            UnitSignOff,
            SignOffAcknowledgement,
            SampleDecision,
            SamplingPlan,
            EqaGrant,
            AuditEntry,
        )
    }
    assert set(CriterionDecision.objects.values_list("outcome", flat=True)) == {
        "met",
        "not_yet_met",
    }
    assert set(SampleDecision.objects.values_list("outcome", flat=True)) == {"agreed", "referred"}
    assert counts[UnitSignOff] >= 4 and counts[SamplingPlan] == 1 and counts[EqaGrant] == 1
    assert verify_chain().ok

    call_command("seed_demo", learners=3)
    assert {model: model.objects.count() for model in counts} == counts
