"""Benchmark: a new version of the 39-unit diploma, and 300 learners moved onto it.

Run from the project root:  .venv/bin/python bench/catalogue.py

It loads the seed catalogue into its own temporary SQLite database and enrols 330 learners on
the BIIAB Level 2 Diploma in Customer Service (601/3734/4, 39 units; each learner takes the
five mandatory units), each with two submitted evidence items mapped to every criterion of
those units and every criterion decided (met) on them. Then:

- import_s: the diploma's seed specification is imported again (`services.spec_import`, as
  `manage.py import_spec` does) with two criteria reworded in each of three mandatory units:
  those units and the qualification, which learners use, become version 2; the other 36 units
  are unchanged and stay as they are. `--copy` builds version 2 with `qualifications.versions`
  instead (copy and edit: criteria reworded, renumbered, removed and added).
- move_300_s: 300 of the learners are moved to version 2 in one batched move
  (`portfolios.moves.move_enrolments`): decisions and evidence carried, the rest flagged.
- queries_per_move: the queries of one batched move of 300 learners, and (queries_30) of 30.
  The move reads and writes one statement per table; only SQLite's limit of variables per
  statement (250000 in Debian's build) splits the ~24,000 audit entries of 300 learners into
  two inserts, one query more.

The last line is machine-readable:
catalogue: import_s=N move_300_s=N queries_per_move=N queries_30=N
"""

import argparse
import datetime
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="bench-catalogue-"))
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"sqlite:///{WORK / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(WORK / "media"),
        "LOG_LEVEL": "WARNING",
    }
)

import django  # noqa: E402 (settings come from the environment set just above)

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.enums import Role  # noqa: E402
from accounts.models import Centre, Membership, User  # noqa: E402
from audit.chain import verify_chain  # noqa: E402
from portfolios import moves  # noqa: E402
from portfolios.enums import DECLARATION_TEXT  # noqa: E402
from portfolios.models import (  # noqa: E402
    CriterionDecision,
    DecisionEvidence,
    Enrolment,
    EnrolmentUnit,
    Evidence,
    EvidenceCriterion,
)
from qualifications.importer import parse_spec  # noqa: E402
from qualifications.models import (  # noqa: E402
    AssessmentCriterion,
    EvidenceMethod,
    Qualification,
)
from qualifications.services import spec_import  # noqa: E402
from qualifications.versions import copy_qualification, copy_unit  # noqa: E402

DIPLOMA = "601/3734/4"
SEED = Path(settings.BASE_DIR).parent / "shared" / "seeds" / "003_9251b7c42b0fa5fe.txt"
# 1 to warm up (the first move of all makes the chain's head row), 30, then 300.
LEARNERS = 331


def person(username, centre, role):
    # No password: hashing 330 of them would be most of the run.
    user = User(username=username, first_name=username.title(), last_name="Bench")
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, centre=centre, role=role)
    return user


@transaction.atomic
def build_learners(diploma):
    """Enrolments, evidence, mappings and decisions, written directly: the services' checks
    and entries are not what is timed (the move is)."""
    centre = Centre.objects.create(name="Bench centre", centre_number="BENCH-1")
    admin = person("admin", centre, Role.CENTRE_ADMIN)
    tutor = person("tutor", centre, Role.TUTOR)
    mandatory = [
        link.unit
        for link in diploma.qualification_units.select_related("unit", "group").order_by("position")
        if link.group.is_mandatory
    ]
    criteria = list(AssessmentCriterion.objects.filter(unit__in=mandatory).order_by("pk"))
    method = EvidenceMethod.objects.get(slug="reflective-account")
    today, now = timezone.localdate(), timezone.now()
    learners = [person(f"learner{n:03d}", centre, Role.LEARNER) for n in range(LEARNERS)]
    enrolments = Enrolment.objects.bulk_create(
        [
            Enrolment(
                centre=centre,
                learner=learner,
                tutor=tutor,
                qualification=diploma,
                start_date=today,
                planned_end_date=today + datetime.timedelta(days=365),
                created_by=admin,
            )
            for learner in learners
        ]
    )
    EnrolmentUnit.objects.bulk_create(
        [
            EnrolmentUnit(enrolment=e, unit=u, position=p)
            for e in enrolments
            for p, u in enumerate(mandatory)
        ],
        batch_size=2000,
    )
    evidence = Evidence.objects.bulk_create(
        [
            Evidence(
                enrolment=e,
                number=number,
                reference=f"E{number:03d}",
                title=f"Evidence {number}",
                method=method,
                date=today,
                text="Reflective account.",
                created_by=e.learner,
                submitted_at=now,
                submitted_by=e.learner,
                declaration=DECLARATION_TEXT,
                assessed_at=now,
            )
            for e in enrolments
            for number in (1, 2)
        ],
        batch_size=2000,
    )
    half = len(criteria) // 2
    item_of = {(item.enrolment_id, item.number): item for item in evidence}
    EvidenceCriterion.objects.bulk_create(
        [
            EvidenceCriterion(evidence=item_of[(e.pk, 1 if i < half else 2)], criterion=c)
            for e in enrolments
            for i, c in enumerate(criteria)
        ],
        batch_size=5000,
    )
    decisions = CriterionDecision.objects.bulk_create(
        [
            CriterionDecision(
                enrolment=e,
                criterion=c,
                unit_id=c.unit_id,
                outcome="met",
                decided_on=today,
                decided_by=tutor,
            )
            for e in enrolments
            for c in criteria
        ],
        batch_size=5000,
    )
    index = {c.pk: i for i, c in enumerate(criteria)}
    DecisionEvidence.objects.bulk_create(
        [
            DecisionEvidence(
                decision=d,
                evidence=item_of[(d.enrolment_id, 1 if index[d.criterion_id] < half else 2)],
            )
            for d in decisions
        ],
        batch_size=5000,
    )
    return admin, enrolments, mandatory, len(criteria)


def _edit_unit(unit, how: str):
    """The changes a re-issued specification brings to one unit (on its new version)."""
    criteria = list(unit.criteria.order_by("sort_key"))
    if how == "reword":
        for c in criteria[:2]:
            AssessmentCriterion.objects.filter(pk=c.pk).update(text=c.text + " (as revised)")
    elif how == "renumber":
        # The outcome's last criterion is dropped; the one before it takes a new number.
        last = [c for c in criteria if c.outcome_id == criteria[0].outcome_id]
        last[-1].delete()
        last[-2].number = f"{last[-2].outcome.number}.{len(last) + 5}"
        last[-2].save()
    elif how == "add":
        AssessmentCriterion.objects.create(
            outcome=criteria[0].outcome,
            number=f"{criteria[0].outcome.number}.99",
            text="Explain a point the revised specification adds",
        )


def new_version_by_copy(diploma, mandatory):
    with transaction.atomic():
        swap = {}
        for unit, how in zip(mandatory[:3], ("reword", "renumber", "add"), strict=True):
            new = copy_unit(unit)
            _edit_unit(new, how)
            swap[unit.pk] = new
        return copy_qualification(diploma, swap=swap)


def new_version_by_import(mandatory):
    """The seed specification with two criteria reworded in each of three mandatory units,
    through the importer: a new version of each unit in use, and of the qualification."""
    text = SEED.read_text()
    for unit in mandatory[:3]:
        for c in list(unit.criteria.order_by("sort_key"))[:2]:
            # The catalogue keeps the words; the document may print ’ for ' and wrap lines.
            words = [re.escape(w).replace("'", "['’]") for w in c.text.split()]
            pattern = re.compile(r"\s+".join(words))
            text, found = pattern.subn(lambda m: m.group(0) + " (as revised)", text, count=1)
            assert found, c.text
    report = spec_import(result=parse_spec(text), by=None)
    statuses = sorted(plan.status for plan in report.plans)
    assert statuses.count("new_version") == 3, statuses
    return Qualification.objects.filter(number=DIPLOMA).order_by("-version").first()


def count_queries(action):
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = action()
    return len(queries), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--copy",
        action="store_true",
        help="make version 2 by copying and editing units instead of importing the specification",
    )
    args = parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        call_command("load_catalogue", verbosity=0)
        diploma = Qualification.objects.get(number=DIPLOMA, version=1)
        units = diploma.qualification_units.count()
        started = time.perf_counter()
        admin, enrolments, mandatory, criteria = build_learners(diploma)
        built = time.perf_counter() - started

        started = time.perf_counter()
        if args.copy:
            v2 = new_version_by_copy(diploma, mandatory)
        else:
            v2 = new_version_by_import(mandatory)
        import_s = time.perf_counter() - started
        assert v2.version == 2, v2

        def move(chosen):
            # A fresh admin each time: no memberships cached from the move before.
            by = User.objects.get(pk=admin.pk)
            return count_queries(lambda: moves.move_enrolments(chosen, to_qualification=v2, by=by))

        move(enrolments[:1])
        queries_30, result_30 = move(enrolments[1:31])
        started = time.perf_counter()
        queries_300, result_300 = move(enrolments[31:])
        move_300_s = time.perf_counter() - started
        assert result_300.moved == 300
        # The bench's own data went in without entries; the chain the moves wrote must hold.
        report = verify_chain(rows=False)
        assert report.ok, report.findings[:3]

        print(
            f"diploma: {units} units; each learner: {len(mandatory)} units, {criteria} criteria "
            f"decided; data built in {built:.1f} s; audit chain verified ({report.checked} entries)"
        )
        print(f"{'learners':>9} {'queries':>8} {'carried':>8} {'flagged':>8} {'seconds':>8}")
        print(f"{30:>9} {queries_30:>8} {result_30.carried:>8} {result_30.flagged:>8} {'':>8}")
        print(
            f"{300:>9} {queries_300:>8} {result_300.carried:>8} {result_300.flagged:>8} "
            f"{move_300_s:>8.2f}"
        )
        print(
            f"catalogue: import_s={import_s:.2f} move_300_s={move_300_s:.2f} "
            f"queries_per_move={queries_300} queries_30={queries_30}"
        )
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
