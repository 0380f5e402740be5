"""Demo portfolios for `seed_demo`: the demo learner enrolled on the diploma, and with
`--learners N` that many learners with portfolios that look like real ones.

Everything goes through the services, so demo data obeys the same rules as real data. Running
it again changes nothing: an enrolment that exists keeps the evidence it has.
"""

import datetime
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.text import slugify
from PIL import Image, ImageDraw

from accounts.models import User
from portfolios import services
from portfolios.models import Enrolment
from qualifications.models import AssessmentCriterion, EvidenceMethod, Qualification

DIPLOMA_NUMBER = "601/3734/4"

EVIDENCE_IDEAS = [
    ("Dealing with a complaint about a late delivery", "reflective-account"),
    ("Observation: greeting and helping customers at the front desk", "observation"),
    ("Witness statement from my line manager", "witness-testimony"),
    ("Professional discussion about the service offer", "professional-discussion"),
    ("Answers to questions on data protection", "questioning"),
    ("Customer feedback log for March", "product-evidence"),
    ("Notes from the team meeting on service improvements", "product-evidence"),
    ("Reflective account: a difficult phone call", "reflective-account"),
    ("Observation: handling a refund request", "observation"),
    ("Email to a customer confirming their order", "product-evidence"),
    ("Diary and booking system screenshots", "product-evidence"),
    ("Reflective account: keeping up to date with our products", "reflective-account"),
]

ACCOUNTS = [
    "A customer phoned because their parcel had not arrived. I listened without interrupting, "
    "apologised, checked the tracking, and explained the delay honestly. I offered the options "
    "our policy allows and confirmed by e-mail what we had agreed.",
    "Before my shift I read the updated price list and the new returns policy, checked the "
    "rota, and made sure the leaflets at the desk were the current ones.",
    "I suggested to my team leader that we add the opening hours to our e-mail signature, "
    "because customers often asked. We tried it for a month and the calls about it dropped.",
    "A visitor arrived without an appointment. I welcomed them, signed them in as our security "
    "procedure says, and contacted the person they wanted to see.",
]

WORKPLACE_PLACES = [
    "Customer records in the CRM, case numbers 4411 and 4415; seen by my assessor on site.",
    "Organisational policies folder, reception office, shelf 2 (Complaints procedure v3).",
    "Shift rota and daily plan, staff room notice board; copies kept by the supervisor.",
]


def demo_pdf(title: str) -> bytes:
    """A small real PDF with one line of text (no dependency beyond the standard library)."""
    safe = title.replace("\\", "").replace("(", "").replace(")", "")[:80]
    stream = f"BT /F1 14 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def demo_png(label: str, seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (320, 180), (rng.randint(180, 240), rng.randint(200, 240), 250))
    ImageDraw.Draw(image).text((12, 80), label[:40], fill=(20, 40, 80))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _units_for(diploma, rng: random.Random, *, optional: int) -> list:
    members = list(diploma.qualification_units.select_related("unit", "group"))
    mandatory = [m.unit for m in members if m.group.is_mandatory]
    others = [m.unit for m in members if not m.group.is_mandatory]
    return mandatory + rng.sample(others, min(optional, len(others)))


def _enrol(*, centre, learner: User, tutor: User, admin: User, diploma, rng) -> Enrolment:
    existing = Enrolment.objects.filter(centre=centre, learner=learner, qualification=diploma)
    if existing.exists():
        return existing.get()
    start = datetime.date(2026, 1, 5) + datetime.timedelta(days=rng.randint(0, 60))
    return services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=diploma,
        units=_units_for(diploma, rng, optional=rng.randint(3, 6)),
        registration_number=f"BIIAB{rng.randint(100000, 999999)}",
        start_date=start,
        planned_end_date=start + datetime.timedelta(days=365),
        by=admin,
    )


def _fill(enrolment: Enrolment, learner: User, rng: random.Random) -> int:
    """Add evidence to a portfolio that has none yet; returns how many items were added."""
    if enrolment.evidence.exists():
        return 0
    methods = {m.slug: m for m in EvidenceMethod.objects.all()}
    criteria = list(
        AssessmentCriterion.objects.filter(unit__enrolment_units__enrolment=enrolment).order_by(
            "unit_id", "sort_key"
        )
    )
    by_unit = {}
    for criterion in criteria:
        by_unit.setdefault(criterion.unit_id, []).append(criterion)
    unit_ids = list(by_unit)
    items = []
    for number in range(rng.randint(5, 12)):
        title, slug = rng.choice(EVIDENCE_IDEAS)
        files, text, workplace = [], "", ""
        kind = rng.random()
        if kind < 0.4:
            text = rng.choice(ACCOUNTS)
        elif kind < 0.8:
            files.append(SimpleUploadedFile(f"{slugify(title)[:60]}.pdf", demo_pdf(title)))
            if rng.random() < 0.4:
                files.append(SimpleUploadedFile(f"photo-{number + 1}.png", demo_png(title, number)))
        else:
            workplace = rng.choice(WORKPLACE_PLACES)
        # Holistic evidence: criteria from one to three units.
        picked = []
        for unit_id in rng.sample(unit_ids, min(len(unit_ids), rng.randint(1, 3))):
            pool = by_unit[unit_id]
            picked += rng.sample(pool, min(len(pool), rng.randint(1, 4)))
        items.append(
            services.evidence_create(
                enrolment=enrolment,
                by=learner,
                title=title,
                method=methods.get(slug) or methods["reflective-account"],
                date=enrolment.start_date + datetime.timedelta(days=rng.randint(0, 90)),
                description="",
                text=text,
                workplace_location=workplace,
                files=files,
                criteria=picked,
            )
        )
    submitted = [item for item in items if rng.random() < 0.5]
    if submitted:
        services.evidence_submit(items=submitted, by=learner, declaration_confirmed=True)
    return len(items)


def seed_demo_portfolios(demo, *, learners: int = 0) -> list[str]:
    """Enrol the demo learner, and `learners` numbered learners with filled portfolios."""
    diploma = Qualification.objects.filter(number=DIPLOMA_NUMBER).first()
    if diploma is None:
        return [f"No {DIPLOMA_NUMBER} in the catalogue (run load_catalogue): no enrolments."]
    centre, tutor, admin = demo.centre, demo.users["tutor"], demo.users["centreadmin"]
    _enrol(
        centre=centre,
        learner=demo.users["learner"],
        tutor=tutor,
        admin=admin,
        diploma=diploma,
        rng=random.Random(0),
    )
    added = 0
    for number in range(1, learners + 1):
        learner = User.objects.get(username=f"learner{number:03d}")
        rng = random.Random(number)
        enrolment = _enrol(
            centre=centre, learner=learner, tutor=tutor, admin=admin, diploma=diploma, rng=rng
        )
        added += _fill(enrolment, learner, rng)
    return [f"Enrolled the demo learner and {learners} more on {diploma}; {added} evidence added."]
