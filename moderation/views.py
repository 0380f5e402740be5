from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.enums import Role
from accounts.permissions import centres_where
from accounts.selectors import get_centre_for_user
from audit.chain import verify_chain
from moderation import access as moderation_access
from moderation import dashboards as moderation_dashboards
from moderation import permissions, services
from moderation import plans as moderation_plans
from moderation import record as moderation_record
from moderation.bundle import build_bundle, bundle_filename
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.forms import (
    AcknowledgeForm,
    AddCriteriaForm,
    CriterionDecisionForm,
    EvidenceDecisionForm,
    GrantForm,
    SampleDecisionForm,
    SamplingPlanForm,
    SignOffForm,
)
from portfolios import permissions as portfolio_permissions
from portfolios import record as portfolio_record
from portfolios.enums import DecisionOutcome
from portfolios.validators import PREVIEW_KINDS
from qualifications.models import AssessmentCriterion


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _status(form) -> int:
    return 400 if form is not None and form.is_bound and form.errors else 200


# ---------------------------------------------------------------- tutors


@login_required
def tutor_queue(request):
    centres = centres_where(request.user, Role.TUTOR)
    if not centres:
        raise PermissionDenied("The assessment queue is for tutors.")
    items = []
    for centre in centres:
        items.extend(moderation_dashboards.tutor_queue(request.user, centre))
    items.sort(key=lambda e: (e.submitted_at, e.pk))
    return render(request, "moderation/queue.html", {"items": items, "now": timezone.now()})


@login_required
def evidence_assess(request, pk):
    evidence = moderation_access.get_evidence_for_assessment(request.user, pk)
    enrolment = evidence.enrolment
    rows, others = portfolio_record.evidence_assessment(evidence)
    form = EvidenceDecisionForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.criteria_decide(
                enrolment=enrolment,
                by=request.user,
                decided_on=form.cleaned_data["decided_on"],
                requests=form.cleaned_data["requests"],
                evidence=evidence,
            )
        except services.StaleDecision as exc:
            messages.warning(request, " ".join(exc.messages))
            return redirect("moderation:evidence_assess", pk=evidence.pk)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            met = sum(d.outcome == DecisionOutcome.MET for d in made)
            messages.success(
                request,
                f"{len(made)} decision{'s' if len(made) != 1 else ''} recorded on "
                f"{evidence.reference}: {met} met, {len(made) - met} not yet met.",
            )
            return redirect("moderation:evidence_assess", pk=evidence.pk)
    files = list(evidence.files.all())
    for f in files:
        f.preview_kind = PREVIEW_KINDS.get(f.content_type)
    return render(
        request,
        "moderation/evidence_assess.html",
        {
            "evidence": evidence,
            "enrolment": enrolment,
            "files": files,
            "rows": rows,
            "form": form,
            "add_form": AddCriteriaForm(
                criteria=AssessmentCriterion.objects.filter(pk__in=[c.pk for c in others])
                .select_related("unit")
                .order_by("unit__code", "unit_id", "sort_key")
            )
            if others
            else None,
        },
        status=_status(form),
    )


@require_POST
@login_required
def evidence_add_criteria(request, pk):
    evidence = moderation_access.get_evidence_for_assessment(request.user, pk)
    _, others = portfolio_record.evidence_assessment(evidence)
    form = AddCriteriaForm(
        request.POST,
        criteria=AssessmentCriterion.objects.filter(pk__in=[c.pk for c in others]),
    )
    if form.is_valid():
        try:
            count = services.evidence_add_criteria(
                evidence=evidence, by=request.user, criteria=form.cleaned_data["criteria"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"{evidence.reference} now also covers {count} more criteri"
                f"{'on' if count == 1 else 'a'}; decide them below.",
            )
    else:
        messages.error(request, "Choose criteria of the learner's units.")
    return redirect("moderation:evidence_assess", pk=evidence.pk)


# ---------------------------------------------------------------- the record


def _record_context(request, enrolment):
    user = request.user
    return {
        "enrolment": enrolment,
        "can_assess": permissions.can_assess(user, enrolment),
        "can_sample_internally": permissions.can_sample_internally(user, enrolment),
        "can_acknowledge": permissions.can_acknowledge(user, enrolment),
        "can_bundle": permissions.can_download_bundle(user, enrolment),
        "sees_whole": portfolio_permissions.sees_whole_enrolment(user, enrolment),
    }


@login_required
def enrolment_record(request, pk):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk)
    units, referrals = moderation_record.record_for_user(request.user, enrolment)
    return render(
        request,
        "moderation/enrolment_record.html",
        {**_record_context(request, enrolment), "units": units, "referrals": referrals},
    )


def _unit_page(request, enrolment, unit, *, forms=None, status=200):
    record = moderation_record.enrolment_record(enrolment, unit_ids=[unit.pk])[0]
    user = request.user
    context = _record_context(request, enrolment)
    context.update(
        {
            "unit": unit,
            "record": record,
            "can_sample_externally": permissions.can_sample_externally(user, enrolment, unit),
        }
    )
    forms = forms or {}
    if context["can_assess"] and record.ready_to_sign and "sign_form" not in forms:
        forms["sign_form"] = SignOffForm()
    if context["can_acknowledge"] and record.awaiting_acknowledgement and "ack_form" not in forms:
        forms["ack_form"] = AcknowledgeForm()
    context.update(forms)
    return render(request, "moderation/unit_record.html", context, status=status)


@login_required
def unit_record(request, pk, unit_pk):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk)
    unit = moderation_access.get_unit_for_user(request.user, enrolment, unit_pk)
    return _unit_page(request, enrolment, unit)


@require_POST
@login_required
def unit_sign(request, pk, unit_pk):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk, action="assess")
    unit = moderation_access.get_unit_for_user(request.user, enrolment, unit_pk)
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            services.unit_sign_off(
                enrolment=enrolment,
                unit=unit,
                by=request.user,
                comments=form.cleaned_data["comments"],
                password=form.cleaned_data["password"],
                request=request,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"{unit} is signed off and locked.")
            return redirect("moderation:unit_record", pk=enrolment.pk, unit_pk=unit.pk)
    return _unit_page(request, enrolment, unit, forms={"sign_form": form}, status=400)


@require_POST
@login_required
def unit_acknowledge(request, pk, unit_pk):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk)
    if not permissions.can_acknowledge(request.user, enrolment):
        raise PermissionDenied("Only the learner acknowledges a sign-off.")
    unit = moderation_access.get_unit_for_user(request.user, enrolment, unit_pk)
    record = moderation_record.enrolment_record(enrolment, unit_ids=[unit.pk])[0]
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        if record.sign_off is None:
            raise Http404("This unit is not signed off.")
        try:
            services.sign_off_acknowledge(
                sign_off=record.sign_off, by=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"You acknowledged the sign-off of {unit}.")
            return redirect("moderation:unit_record", pk=enrolment.pk, unit_pk=unit.pk)
    return _unit_page(request, enrolment, unit, forms={"ack_form": form}, status=400)


@login_required
def criterion_detail(request, pk, criterion_pk):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk)
    criterion = moderation_access.get_criterion_for_user(request.user, enrolment, criterion_pk)
    history = portfolio_record.criterion_history(enrolment, criterion)
    latest = history[-1] if history else None
    can_decide = permissions.can_assess(
        request.user, enrolment
    ) and not portfolio_record.unit_is_locked(enrolment, criterion.unit_id)
    form = None
    if can_decide:
        form = CriterionDecisionForm(request.POST or None, latest=latest)
    elif request.method == "POST":
        raise PermissionDenied("Only the learner's tutor decides, and not on a signed unit.")
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.criteria_decide(
                enrolment=enrolment,
                by=request.user,
                decided_on=data["decided_on"],
                requests=[
                    services.DecisionRequest(
                        criterion_id=criterion.pk,
                        outcome=data["outcome"],
                        feedback=data["feedback"],
                        seen_id=data["seen"],
                    )
                ],
            )
        except services.StaleDecision as exc:
            messages.warning(request, " ".join(exc.messages))
            return redirect(
                "moderation:criterion_detail", pk=enrolment.pk, criterion_pk=criterion.pk
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"Your decision on {criterion.number} is recorded.")
            return redirect(
                "moderation:criterion_detail", pk=enrolment.pk, criterion_pk=criterion.pk
            )
    return render(
        request,
        "moderation/criterion_detail.html",
        {
            "enrolment": enrolment,
            "criterion": criterion,
            "history": list(reversed(history)),
            "latest": latest,
            "evidence": portfolio_record.submitted_evidence_for(enrolment, criterion),
            "form": form,
        },
        status=_status(form),
    )


@login_required
def enrolment_audit(request, pk):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk)
    if not portfolio_permissions.sees_whole_enrolment(request.user, enrolment):
        raise PermissionDenied("The audit trail is for the learner, the tutor and the centre.")
    return render(
        request,
        "moderation/enrolment_audit.html",
        {
            **_record_context(request, enrolment),
            "entries": moderation_record.audit_entries_for_enrolment(enrolment),
        },
    )


# ---------------------------------------------------------------- moderators


@login_required
def sample_decide(request, pk, unit_pk, kind):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk)
    unit = moderation_access.get_unit_for_user(request.user, enrolment, unit_pk)
    if kind not in ModeratorKind.values:
        raise Http404("No such kind of moderator.")
    kind = ModeratorKind(kind)
    allowed = (
        permissions.can_sample_internally(request.user, enrolment)
        if kind == ModeratorKind.INTERNAL
        else permissions.can_sample_externally(request.user, enrolment, unit)
    )
    if not allowed:
        raise PermissionDenied(f"You are not this unit's {kind.label.lower()}.")
    record = moderation_record.enrolment_record(enrolment, unit_ids=[unit.pk])[0]
    line = record.samples.get(kind)
    latest = line.latest if line else None
    decided = [line.criterion.pk for line in record.lines if line.decision]
    form = SampleDecisionForm(
        request.POST or None,
        criteria=AssessmentCriterion.objects.filter(pk__in=decided).order_by("sort_key"),
        latest=latest,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            decision = services.sample_decide(
                enrolment=enrolment,
                unit=unit,
                kind=kind,
                by=request.user,
                outcome=data["outcome"],
                comments=data["comments"],
                required_actions=data["required_actions"],
                reopen_criteria=list(data["reopen_criteria"]),
                password=data["password"],
                seen_id=data["seen"],
                request=request,
            )
        except services.StaleDecision as exc:
            messages.warning(request, " ".join(exc.messages))
            return redirect(request.path)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request,
                f"{unit}: {decision.get_outcome_display().lower()}, signed by "
                f"{decision.signature_name}.",
            )
            return redirect("moderation:unit_record", pk=enrolment.pk, unit_pk=unit.pk)
    context = _record_context(request, enrolment)
    context.update(
        {
            "unit": unit,
            "record": record,
            "kind": kind,
            "form": form,
            "latest": latest,
            "SampleOutcome": SampleOutcome,
        }
    )
    return render(request, "moderation/sample_decide.html", context, status=_status(form))


@require_GET
@never_cache
@login_required
def eqa_bundle(request, pk):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk, action="bundle")
    spool = build_bundle(
        enrolment,
        by=request.user,
        unit_ids=portfolio_permissions.granted_unit_ids(request.user, enrolment),
    )
    response = FileResponse(
        spool,
        as_attachment=True,
        filename=bundle_filename(enrolment),
        content_type="application/zip",
    )
    return response


def _centre_for_iqa(request, centre_pk):
    centre = get_centre_for_user(request.user, centre_pk)
    if not permissions.can_plan_sampling(request.user, centre):
        raise PermissionDenied("Sampling is planned by the centre's internal moderators.")
    return centre


@login_required
def plan_list(request, centre_pk):
    centre = _centre_for_iqa(request, centre_pk)
    return render(
        request,
        "moderation/plan_list.html",
        {
            "centre": centre,
            "grids": moderation_plans.plan_grids(moderation_plans.plans_for(request.user, centre)),
        },
    )


def _plan_form(request, *, centre, plan=None):
    initial = {}
    if plan is not None:
        initial = {
            "tutor": plan.tutor_id,
            "qualification": plan.qualification_id,
            "learner_rate": plan.learner_rate,
            "unit_rate": plan.unit_rate,
            "include_interim": plan.include_interim,
            "include_summative": plan.include_summative,
            "new_tutor": plan.new_tutor,
            "new_units": list(plan.new_units.values_list("pk", flat=True)),
            "risk_methods": list(plan.risk_methods.values_list("pk", flat=True)),
            "risk_learners": list(plan.risk_learners.values_list("pk", flat=True)),
            "risk_locations": plan.risk_locations,
        }
    form = SamplingPlanForm(
        request.POST or None, initial=initial, centre=centre, moderator=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.plan_save(
                centre=centre,
                by=request.user,
                plan=plan,
                tutor=data["tutor"],
                qualification=data["qualification"],
                learner_rate=data["learner_rate"],
                unit_rate=data["unit_rate"],
                include_interim=data["include_interim"],
                include_summative=data["include_summative"],
                new_tutor=data["new_tutor"],
                new_units=list(data["new_units"]),
                risk_methods=list(data["risk_methods"]),
                risk_learners=list(data["risk_learners"]),
                risk_locations=data["risk_locations"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "The sampling plan is saved.")
            return redirect(plan)
    return render(
        request,
        "moderation/plan_form.html",
        {"centre": centre, "form": form, "plan": plan},
        status=_status(form),
    )


@login_required
def plan_create(request, centre_pk):
    centre = _centre_for_iqa(request, centre_pk)
    return _plan_form(request, centre=centre)


@login_required
def plan_update(request, pk):
    plan = moderation_access.get_plan_for_user(request.user, pk)
    return _plan_form(request, centre=plan.centre, plan=plan)


@login_required
def plan_detail(request, pk):
    plan = moderation_access.get_plan_for_user(request.user, pk)
    grid = moderation_plans.plan_grids([plan])[0]
    return render(
        request,
        "moderation/plan_detail.html",
        {
            "plan": plan,
            "grid": grid,
            "new_units": list(plan.new_units.all()),
            "risk_methods": list(plan.risk_methods.all()),
            "risk_learners": list(plan.risk_learners.all()),
        },
    )


@login_required
def referral_list(request, centre_pk):
    centre = _centre_for_iqa(request, centre_pk)
    return render(
        request,
        "moderation/referral_list.html",
        {
            "centre": centre,
            "open": moderation_record.open_referrals(centre),
            "closed": moderation_record.referral_history(centre),
        },
    )


# ---------------------------------------------------------------- external moderators' access


def _centre_for_admin(request, centre_pk):
    centre = get_centre_for_user(request.user, centre_pk)
    if not permissions.can_grant_eqa(request.user, centre):
        raise PermissionDenied("Only the centre's admins grant external moderators access.")
    return centre


@login_required
def grant_list(request, centre_pk):
    centre = _centre_for_admin(request, centre_pk)
    return render(
        request,
        "moderation/grant_list.html",
        {
            "centre": centre,
            "grants": moderation_dashboards.grants_at(centre),
            "now": timezone.now(),
        },
    )


@login_required
def grant_create(request, centre_pk):
    centre = _centre_for_admin(request, centre_pk)
    form = GrantForm(request.POST or None, centre=centre)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = services.grant_create(
                centre=centre,
                by=request.user,
                moderator=data["moderator"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                enrolments=list(data["enrolments"]),
                units=list(data["units"]),
                note=data["note"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request, f"{grant.moderator} has access until {grant.ends_at:%d %b %Y %H:%M}."
            )
            return redirect(grant)
    return render(
        request,
        "moderation/grant_form.html",
        {"centre": centre, "form": form},
        status=_status(form),
    )


@login_required
def grant_detail(request, pk):
    grant = moderation_access.get_grant_for_user(request.user, pk, manage=True)
    return render(
        request,
        "moderation/grant_detail.html",
        {
            "grant": grant,
            "enrolments": list(grant.enrolments.select_related("learner", "qualification")),
            "units": list(grant.units.all()),
            "log": list(moderation_dashboards.access_log_for(grant)),
            "now": timezone.now(),
        },
    )


@require_POST
@login_required
def grant_revoke(request, pk):
    grant = moderation_access.get_grant_for_user(request.user, pk, manage=True)
    try:
        services.grant_revoke(grant=grant, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The access of {grant.moderator} has ended.")
    return redirect(grant)


@login_required
def eqa_home(request):
    if not centres_where(request.user, Role.EXTERNAL_MODERATOR):
        raise PermissionDenied("This page is for external moderators.")
    return render(
        request,
        "moderation/eqa_home.html",
        {"grants": moderation_dashboards.eqa_overview(request.user)},
    )


# ---------------------------------------------------------------- audit


@login_required
def centre_audit(request, centre_pk):
    centre = get_centre_for_user(request.user, centre_pk)
    if not permissions.can_view_audit(request.user, centre):
        raise PermissionDenied("The audit trail is for the centre's admins and moderators.")
    return render(
        request,
        "moderation/centre_audit.html",
        {
            "centre": centre,
            "entries": list(moderation_record.audit_entries_for_centre(centre)),
            "report": verify_chain() if request.GET.get("verify") else None,
        },
    )


# ---------------------------------------------------------------- notifications


@login_required
def notification_list(request):
    return render(
        request,
        "moderation/notification_list.html",
        {"notifications": list(moderation_dashboards.notifications_for(request.user))},
    )


@require_GET
@never_cache
@login_required
def notification_badge(request):
    """The navbar's unread count, fetched by htmx after the page, so that no page pays a
    query for it."""
    return render(
        request,
        "moderation/_notification_badge.html",
        {"unread": moderation_dashboards.unread_count(request.user)},
    )


@require_POST
@login_required
def notification_open(request, pk):
    notification = moderation_access.get_notification_for_user(request.user, pk)
    services.notification_mark_read(notification=notification, by=request.user)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("moderation:notification_list")


@require_POST
@login_required
def notification_read_all(request):
    count = services.notifications_mark_all_read(by=request.user)
    messages.info(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect(reverse("moderation:notification_list"))
