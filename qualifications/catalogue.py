"""The seed catalogue: which awarding-body documents make `fixtures/catalogue.json`, and how.

The fixture is built by importing the seed documents with the same importer centres use, so it
can always be made again from the seeds (`manage.py build_catalogue_fixture`), and a test proves
that the committed file is exactly what the importer makes.
"""

from pathlib import Path

from django.core import serializers
from django.db import transaction

from qualifications.importer import parse_spec
from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    EvidenceMethod,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
    UnitCode,
    UnitGroup,
)
from qualifications.services import spec_import

# Order matters: the qualification checklist first (it names the units), then unit
# specifications, then documents that add to units already there.
LAYOUT_ORDER = ["learner_checklist", "unit_spec", "generic", "outcome_table"]
LAYOUT_LAST = ["assessment_checklist", "guidance"]

# What the seeds leave out and a person had to decide, per file.
SEED_DETAILS = {
    # No title or code anywhere in this unit's document; the title says what it covers.
    "004_e2552f140ed0632f.txt": {
        0: {"title": "Manage customer service standards (provisional title)"}
    },
}

CATALOGUE_MODELS = [
    AwardingBody,
    EvidenceMethod,
    Qualification,
    UnitGroup,
    Unit,
    UnitCode,
    QualificationUnit,
    LearningOutcome,
    AssessmentCriterion,
]


def _rank(layout: str) -> int:
    if layout in LAYOUT_ORDER:
        return LAYOUT_ORDER.index(layout)
    return len(LAYOUT_ORDER) + (LAYOUT_LAST.index(layout) if layout in LAYOUT_LAST else 0)


@transaction.atomic
def import_seed_documents(seeds_dir: Path) -> list[tuple[str, str, int]]:
    """Import every seed document; returns (file name, layout, units) per file."""
    parsed = []
    for path in sorted(Path(seeds_dir).glob("*.txt")):
        result = parse_spec(path.read_text(encoding="utf-8"))
        parsed.append((path.name, result))
    parsed.sort(key=lambda item: (_rank(item[1].layout), item[0]))
    done = []
    for name, result in parsed:
        spec_import(result=result, details=SEED_DETAILS.get(name))
        done.append((name, result.layout, len(result.units)))
    return done


def serialize_catalogue() -> str:
    """The whole catalogue as natural-key JSON, in a stable order."""
    objects = []
    for model in CATALOGUE_MODELS:
        queryset = model._default_manager.all()
        if model in (AssessmentCriterion, LearningOutcome):
            queryset = queryset.select_related("unit").order_by("unit__slug", "sort_key")
        elif model is QualificationUnit:
            queryset = queryset.select_related("qualification", "unit").order_by(
                "qualification__number", "position"
            )
        elif model is Unit:
            queryset = queryset.prefetch_related("evidence_methods").order_by("slug")
        objects.extend(queryset)
    return (
        serializers.serialize(
            "json",
            objects,
            indent=1,
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
        + "\n"
    )
