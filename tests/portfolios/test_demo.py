from django.core.management import call_command
from django.db.models import Count

from portfolios.models import Enrolment, Evidence, EvidenceFile
from tests.catalogue import load_seed_catalogue
from tests.portfolios.conftest import stored_files


def test_seed_demo_enrols_and_fills_portfolios_once(db, media_root, capsys):
    load_seed_catalogue()
    call_command("seed_demo", learners=3)
    first = (Enrolment.objects.count(), Evidence.objects.count(), EvidenceFile.objects.count())
    call_command("seed_demo", learners=3)
    second = (Enrolment.objects.count(), Evidence.objects.count(), EvidenceFile.objects.count())
    assert first == second
    assert first[0] == 4

    demo = Enrolment.objects.get(learner__username="learner")
    assert demo.tutor.username == "tutor"
    assert demo.qualification.number == "601/3734/4"
    mandatory = demo.units.filter(qualification_units__group__is_mandatory=True).count()
    assert mandatory == 5

    filled = Evidence.objects.filter(enrolment__learner__username__startswith="learner0")
    assert filled.filter(submitted_at__isnull=False).exists()
    assert filled.filter(submitted_at__isnull=True).exists()
    assert filled.exclude(text="").exists()
    assert EvidenceFile.objects.filter(content_type="application/pdf").exists()
    assert EvidenceFile.objects.filter(content_type="image/png").exists()
    across_units = filled.annotate(units=Count("criteria__unit", distinct=True)).filter(units__gt=1)
    assert across_units.exists()
    assert len(stored_files(media_root)) == EvidenceFile.objects.count()
    assert "3 more on 601/3734/4" in capsys.readouterr().out


def test_seed_demo_without_catalogue_still_works(db):
    call_command("seed_demo")
    assert Enrolment.objects.count() == 0
