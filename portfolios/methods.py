"""Writes of the evidence methods as records: observations, professional discussions, witness
testimony by a one-time link, and the tutor's "seen and verified" of workplace evidence.

Each write makes (or stands on) an ordinary evidence item, so mapping, decisions, sign-off,
moderation and the checklists work on it unchanged, and writes its audit entry in the same
transaction. Observations and discussions are drafts the learner then submits with their
declaration, like anything the tutor records; a witness's testimony arrives submitted, with
the witness's own declaration, straight into the tutor's queue.

The witness has no account. Their link holds a random token (256 bits); only its SHA-256 is
stored, looked up and compared in constant time. Unknown and tampered tokens get the same
answer, so the page is not an oracle; a real token that is used or expired says so.
"""

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.enums import NotificationKind
from accounts.models import User
from accounts.notifications import notify
from accounts.signature import signature_confirm
from audit.chain import audit_record
from audit.enums import AuditAction
from portfolios import permissions, services
from portfolios.enums import (
    DISCUSSION_SLUG,
    OBSERVATION_SLUG,
    WITNESS_DECLARATION_TEXT,
    WITNESS_SLUG,
    WORKPLACE_METHOD_SLUGS,
)
from portfolios.models import (
    DiscussionEntry,
    Enrolment,
    EnrolmentUnit,
    Evidence,
    EvidenceCriterion,
    Observation,
    ProfessionalDiscussion,
    WitnessRequest,
    WitnessTestimony,
    WorkplaceVerification,
)
from portfolios.record import locked_unit_ids
from portfolios.selectors import evidence_methods_for
from portfolios.uploads import clean_display_name
from portfolios.validators import validate_evidence_file
from qualifications.models import AssessmentCriterion, EvidenceMethod

WITNESS_MIN_DAYS = 1
WITNESS_MAX_DAYS = 60


def _required(**values: str) -> None:
    missing = {name: "This is needed." for name, value in values.items() if not value.strip()}
    if missing:
        raise ValidationError(missing)


def _method(slug: str) -> EvidenceMethod:
    method = EvidenceMethod.objects.filter(slug=slug).first()
    if method is None:
        raise ValidationError(f"The evidence method {slug} is not in the catalogue.")
    return method


def _refuse_unless_tutor(by: User, enrolment: Enrolment) -> None:
    if not permissions.can_record_method(by, enrolment):
        raise ValidationError("Only the learner's tutor records this, while the enrolment runs.")


def _open_criteria(enrolment: Enrolment, criteria: Iterable) -> list[AssessmentCriterion]:
    """These criteria, each in a current unit of the enrolment that no sign-off locks."""
    ids = sorted({getattr(c, "pk", c) for c in criteria})
    if not ids:
        raise ValidationError({"criteria": "Choose at least one criterion."})
    taken = EnrolmentUnit.objects.current().filter(enrolment=enrolment).values("unit_id")
    found = list(
        AssessmentCriterion.objects.filter(pk__in=ids, unit_id__in=taken)
        .select_related("unit")
        .order_by("unit__code", "unit_id", "sort_key")
    )
    if len(found) != len(ids):
        raise ValidationError("Some of the criteria are not in this learner's current units.")
    locked = locked_unit_ids(enrolment, {c.unit_id for c in found})
    if locked:
        names = sorted({str(c.unit) for c in found if c.unit_id in locked})
        raise ValidationError(f"{', '.join(names)} is signed off and locked.")
    return found


def _criterion_label(criterion: AssessmentCriterion) -> str:
    unit = criterion.unit.code or criterion.unit.title
    return f"{unit} {criterion.shown_number}"


# ---------------------------------------------------------------- observation


def observation_record(
    *,
    enrolment: Enrolment,
    by: User,
    title: str,
    observed: str,
    place: str,
    observed_at: datetime.datetime,
    criteria: Iterable,
    password: str,
    code: str = "",
    request=None,
    files: Sequence = (),
) -> Observation:
    """The assessor's signed record of what they observed, where and when, against criteria:
    a new evidence item (method observation) mapped to them, and the signed record on it."""
    _refuse_unless_tutor(by, enrolment)
    _required(title=title, observed=observed, place=place)
    if observed_at > timezone.now():
        raise ValidationError({"observed_at": "An observation cannot be in the future."})
    chosen = _open_criteria(enrolment, criteria)
    signature_confirm(by, password, request, code)
    with transaction.atomic():
        evidence = services.evidence_create(
            enrolment=enrolment,
            by=by,
            title=title,
            method=_method(OBSERVATION_SLUG),
            date=timezone.localtime(observed_at).date(),
            text=observed.strip(),
            files=files,
            criteria=chosen,
        )
        observation = Observation(
            evidence=evidence,
            observed=observed.strip(),
            place=place.strip(),
            observed_at=observed_at,
            signed_by=by,
            signature_name=str(by),
            signed_at=timezone.now(),
        )
        observation.full_clean()
        observation.save()
        observation.criteria.set(chosen)
        audit_record(
            action=AuditAction.OBSERVATION_SIGNED,
            actor=by,
            enrolment=enrolment,
            obj=observation,
            summary=f"{evidence.reference} observation at {observation.place} signed by "
            f"{observation.signature_name}",
            data={
                "evidence": evidence.reference,
                "place": observation.place,
                "observed_at": observed_at,
                "criteria": [c.pk for c in chosen],
                "signature": observation.signature_name,
            },
        )
    return observation


# ---------------------------------------------------------------- professional discussion


def _transcript(entries: Sequence[tuple[str, str]]) -> str:
    return "\n\n".join(f"Q{n}. {q}\nA. {a}" for n, (q, a) in enumerate(entries, start=1))


def discussion_record(
    *,
    enrolment: Enrolment,
    by: User,
    title: str,
    date: datetime.date,
    entries: Sequence[tuple[str, str]],
    criteria: Iterable,
    audio=None,
) -> ProfessionalDiscussion:
    """A professional discussion: its questions and answers in order, and the recording as
    one of the item's files when there is one (audio only)."""
    _refuse_unless_tutor(by, enrolment)
    _required(title=title)
    entries = [(q.strip(), a.strip()) for q, a in entries if q.strip() or a.strip()]
    if not entries:
        raise ValidationError("Write at least one question and its answer.")
    if any(not q or not a for q, a in entries):
        raise ValidationError("Each question needs its answer, and each answer its question.")
    if date > timezone.localdate():
        raise ValidationError({"date": "A discussion cannot be in the future."})
    chosen = _open_criteria(enrolment, criteria)
    if audio is not None:
        checked = validate_evidence_file(audio, display_name=clean_display_name(audio.name))
        if not checked.content_type.startswith("audio/"):
            raise ValidationError({"audio": "The recording must be an audio file."})
    with transaction.atomic():
        evidence = services.evidence_create(
            enrolment=enrolment,
            by=by,
            title=title,
            method=_method(DISCUSSION_SLUG),
            date=date,
            text=_transcript(entries),
            files=[audio] if audio is not None else (),
            criteria=chosen,
        )
        discussion = ProfessionalDiscussion(
            evidence=evidence,
            audio=evidence.files.first() if audio is not None else None,
            recorded_by=by,
            recorded_at=timezone.now(),
        )
        discussion.full_clean()
        discussion.save()
        rows = [
            DiscussionEntry(discussion=discussion, order=n, question=q, answer=a)
            for n, (q, a) in enumerate(entries, start=1)
        ]
        for row in rows:
            row.full_clean()
            row.save()
            audit_record(
                action=AuditAction.DISCUSSION_RECORDED,
                actor=by,
                enrolment=enrolment,
                obj=row,
                summary=f"{evidence.reference} question {row.order}",
                data={"evidence": evidence.reference, "order": row.order},
            )
        audit_record(
            action=AuditAction.DISCUSSION_RECORDED,
            actor=by,
            enrolment=enrolment,
            obj=discussion,
            summary=f"{evidence.reference} professional discussion recorded: "
            f"{len(rows)} question{'s' if len(rows) != 1 else ''}",
            data={
                "evidence": evidence.reference,
                "questions": len(rows),
                "audio": discussion.audio.sha256 if discussion.audio else None,
                "criteria": [c.pk for c in chosen],
            },
        )
    return discussion


# ---------------------------------------------------------------- witness testimony


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def witness_request_create(
    *,
    enrolment: Enrolment,
    by: User,
    witness_email: str,
    criteria: Iterable,
    days: int,
    link_for: Callable[[str], str],
) -> WitnessRequest:
    """Ask a workplace witness, by e-mail, for testimony against these criteria. The link
    (`link_for(token)`, an absolute URL) works once, for `days` days; the token itself is
    only ever in the e-mail."""
    _refuse_unless_tutor(by, enrolment)
    witness_email = witness_email.strip().lower()
    _required(witness_email=witness_email)
    if not WITNESS_MIN_DAYS <= days <= WITNESS_MAX_DAYS:
        raise ValidationError(
            {"days": f"Choose between {WITNESS_MIN_DAYS} and {WITNESS_MAX_DAYS} days."}
        )
    people = {(enrolment.learner.email or "").lower(), (by.email or "").lower()}
    if witness_email in people:
        raise ValidationError(
            {"witness_email": "The witness is someone else: not the learner, not you."}
        )
    if not evidence_methods_for(by, enrolment).filter(slug=WITNESS_SLUG).exists():
        raise ValidationError("This learner's units do not take witness testimony.")
    chosen = _open_criteria(enrolment, criteria)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        request = WitnessRequest(
            enrolment=enrolment,
            witness_email=witness_email,
            token_hash=token_hash(token),
            requested_by=by,
            requested_at=now,
            expires_at=now + datetime.timedelta(days=days),
        )
        request.full_clean()
        request.save()
        request.criteria.set(chosen)
        audit_record(
            action=AuditAction.WITNESS_REQUESTED,
            actor=by,
            enrolment=enrolment,
            obj=request,
            summary=f"Witness testimony requested from {witness_email} for "
            + ", ".join(_criterion_label(c) for c in chosen),
            data={
                "witness_email": witness_email,
                "criteria": [c.pk for c in chosen],
                "expires_at": request.expires_at,
            },
        )
        message = render_to_string(
            "portfolios/methods/witness_email.txt",
            {
                "first_name": enrolment.learner.first_name,
                "tutor": by,
                "link": link_for(token),
                "expires_at": request.expires_at,
                "criteria": chosen,
            },
        )
        subject = f"Witness testimony for {enrolment.learner.first_name}"
        # Sent once the request is saved (a failed save sends nothing), and not while the
        # trail's head is locked. A mail server that fails is logged; the request page lists
        # the request, and the tutor may ask again.
        transaction.on_commit(
            lambda: send_mail(
                subject=subject,
                message=message,
                from_email=None,
                recipient_list=[witness_email],
            ),
            robust=True,
        )
    return request


class WitnessLinkGone(Exception):
    """A real link that can no longer be used: `reason` says why, for the witness."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class WitnessLinkUnknown(Exception):
    """No request has this token (unknown, mistyped or tampered with): one answer for all."""


def _request_for_token(token: str, *, lock: bool = False) -> WitnessRequest:
    digest = token_hash(token or "")
    rows = WitnessRequest.objects.filter(token_hash=digest)
    if lock:
        rows = rows.select_for_update(of=("self",))
    request = rows.select_related("enrolment__learner").first()
    # The lookup is by the hash of what was sent; comparing again in constant time costs
    # nothing and keeps the check itself free of timing differences.
    if request is None or not hmac.compare_digest(request.token_hash, digest):
        raise WitnessLinkUnknown
    if request.used_at is not None:
        raise WitnessLinkGone(
            "This link has been used: the testimony was sent on "
            f"{timezone.localtime(request.used_at):%-d %B %Y at %H:%M}. A link works once."
        )
    if request.expires_at <= timezone.now():
        raise WitnessLinkGone(
            f"This link expired on {timezone.localtime(request.expires_at):%-d %B %Y at %H:%M}."
            " Ask the learner's tutor for a new one if you still wish to give testimony."
        )
    if not request.enrolment.is_active:
        raise WitnessLinkGone("This request is closed: the learner's programme has ended.")
    return request


def witness_request_for_token(token: str) -> WitnessRequest:
    """The open request of a link (WitnessLinkUnknown / WitnessLinkGone otherwise)."""
    return _request_for_token(token)


@dataclass(frozen=True)
class WitnessPage:
    """All the witness is shown: the learner's first name and the criteria asked about."""

    first_name: str
    expires_at: datetime.datetime
    criteria: list


def witness_page(request: WitnessRequest) -> WitnessPage:
    criteria = list(
        request.criteria.select_related("unit").order_by("unit__code", "unit_id", "sort_key")
    )
    return WitnessPage(request.enrolment.learner.first_name, request.expires_at, criteria)


def witness_testimony_submit(
    *,
    token: str,
    name: str,
    job_title: str,
    relationship: str,
    text: str,
    statements: Mapping[int, str],
    confirmed: bool,
    ip_address: str | None,
) -> WitnessTestimony:
    """The witness's testimony: a new evidence item (method witness testimony) mapped to the
    criteria asked about, submitted with the witness's declaration, in the tutor's queue; the
    link is used up. Audited with the time and the address it came from."""
    _required(name=name, job_title=job_title, relationship=relationship)
    if not confirmed:
        raise ValidationError({"confirm": "Confirm that this is your own true account."})
    with transaction.atomic():
        request = _request_for_token(token, lock=True)
        criteria = list(
            request.criteria.select_related("unit").order_by("unit__code", "unit_id", "sort_key")
        )
        said = [
            {"criterion": c.pk, "number": c.shown_number, "text": statements[c.pk].strip()}
            for c in criteria
            if statements.get(c.pk, "").strip()
        ]
        if not text.strip() and not said:
            raise ValidationError({"text": "Write what you saw the learner do."})
        enrolment = Enrolment.objects.select_for_update().get(pk=request.enrolment_id)
        if locked_unit_ids(enrolment, {c.unit_id for c in criteria}):
            raise WitnessLinkGone(
                "This request is closed: the learner's tutor has signed off that work since."
            )
        now = timezone.now()
        enrolment.last_evidence_number += 1
        enrolment.save(update_fields=["last_evidence_number"])
        evidence = Evidence(
            enrolment=enrolment,
            number=enrolment.last_evidence_number,
            reference=Evidence.reference_for(enrolment.last_evidence_number),
            title=f"Witness testimony from {name.strip()}, {job_title.strip()}"[:200],
            description=f"Relationship to the learner: {relationship.strip()}",
            method=_method(WITNESS_SLUG),
            date=timezone.localdate(),
            text=_testimony_text(text, said, criteria),
            # The tutor who asked for it; the witness has no account.
            created_by=request.requested_by,
            submitted_at=now,
            declaration=WITNESS_DECLARATION_TEXT,
        )
        evidence.full_clean()
        evidence.save()
        EvidenceCriterion.objects.bulk_create(
            [EvidenceCriterion(evidence=evidence, criterion=c) for c in criteria]
        )
        testimony = WitnessTestimony(
            request=request,
            evidence=evidence,
            name=name.strip(),
            job_title=job_title.strip(),
            relationship=relationship.strip(),
            text=text.strip(),
            statements=said,
            declaration=WITNESS_DECLARATION_TEXT,
            submitted_at=now,
            ip_address=ip_address or None,
        )
        testimony.full_clean()
        testimony.save()
        request.used_at = now
        request.save(update_fields=["used_at"])
        witness = f"{testimony.name} (witness)"
        audit_record(
            action=AuditAction.EVIDENCE_SUBMITTED,
            actor=witness,
            enrolment=enrolment,
            obj=evidence,
            summary=f"{evidence.reference} {evidence.title}: submitted with the witness's "
            "declaration",
            data={
                "reference": evidence.reference,
                "criteria": [c.pk for c in criteria],
                "declaration": WITNESS_DECLARATION_TEXT,
            },
        )
        audit_record(
            action=AuditAction.WITNESS_TESTIMONY,
            actor=witness,
            enrolment=enrolment,
            obj=testimony,
            summary=f"{evidence.reference} witness testimony from {testimony.name}, "
            f"{testimony.job_title}, from {ip_address or 'an unknown address'}",
            data={
                "evidence": evidence.reference,
                "request": request.pk,
                "name": testimony.name,
                "job_title": testimony.job_title,
                "relationship": testimony.relationship,
                "submitted_at": now,
                "ip_address": testimony.ip_address,
            },
        )
        audit_record(
            action=AuditAction.WITNESS_TESTIMONY,
            actor=witness,
            enrolment=enrolment,
            obj=request,
            summary=f"Witness link sent to {request.witness_email} used",
            data={"used_at": now, "evidence": evidence.reference},
        )
        notify(
            recipients=[enrolment.tutor],
            kind=NotificationKind.EVIDENCE_SUBMITTED,
            message=f"{testimony.name} gave witness testimony for {enrolment.learner}: "
            f"{evidence.reference}, waiting for your judgement.",
            url=reverse("moderation:tutor_queue"),
        )
    return testimony


def _testimony_text(text: str, said: list[dict], criteria) -> str:
    """The item's written account: what the witness wrote overall, then against each
    criterion (so every page and checklist that prints an item's text prints it)."""
    by_pk = {c.pk: c for c in criteria}
    parts = [text.strip()] if text.strip() else []
    parts += [f"{_criterion_label(by_pk[s['criterion']])}: {s['text']}" for s in said]
    return "\n\n".join(parts)


# ---------------------------------------------------------------- seen and verified


def is_workplace_evidence(evidence: Evidence) -> bool:
    """Evidence of work done in the workplace: a product/work method, or a document kept
    there."""
    return evidence.method.slug in WORKPLACE_METHOD_SLUGS or bool(evidence.workplace_location)


def workplace_verify(
    *, evidence: Evidence, by: User, verified_on: datetime.date, place: str
) -> WorkplaceVerification:
    """The assessor's "seen and verified on <date> at <place>" of a workplace item."""
    if not permissions.can_verify_workplace(by, evidence):
        raise ValidationError("Only the learner's tutor verifies their workplace evidence.")
    if not is_workplace_evidence(evidence):
        raise ValidationError(
            f"{evidence.reference} is not workplace evidence (product/work evidence, or a "
            "document kept in the workplace)."
        )
    _required(place=place)
    if verified_on > timezone.localdate():
        raise ValidationError({"verified_on": "The date cannot be in the future."})
    with transaction.atomic():
        Enrolment.objects.select_for_update().get(pk=evidence.enrolment_id)
        if WorkplaceVerification.objects.filter(evidence=evidence).exists():
            raise ValidationError(f"{evidence.reference} has been seen and verified already.")
        if Evidence.objects.superseded().filter(pk=evidence.pk).exists():
            raise ValidationError(f"{evidence.reference} has been corrected by a newer item.")
        verification = WorkplaceVerification(
            evidence=evidence,
            verified_on=verified_on,
            place=place.strip(),
            verified_by=by,
            verifier_name=str(by),
            recorded_at=timezone.now(),
        )
        verification.full_clean()
        verification.save()
        audit_record(
            action=AuditAction.WORKPLACE_VERIFIED,
            actor=by,
            enrolment=evidence.enrolment,
            obj=verification,
            summary=f"{evidence.reference} seen and verified on {verified_on:%-d %b %Y} at "
            f"{verification.place}",
            data={
                "evidence": evidence.reference,
                "verified_on": verified_on,
                "place": verification.place,
            },
        )
    return verification
