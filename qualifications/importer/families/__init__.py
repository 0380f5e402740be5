"""The layout families the importer knows, one module each; ``general`` is the fallback."""

from qualifications.importer.families import (
    btec_unit,
    competency,
    general,
    grading_grid,
    grid,
    handbook,
    ofqual_register,
    pdf_text,
    recording_form,
    sqa_cache,
    web_page,
)

FAMILIES = [
    handbook,
    ofqual_register,
    grid,
    web_page,
    btec_unit,
    grading_grid,
    recording_form,
    competency,
    sqa_cache,
    pdf_text,
]
FALLBACK = general
