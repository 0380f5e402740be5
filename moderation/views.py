from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import formflow
from accounts import services as account_services
from accounts.enums import Role
from accounts.forms import DigestForm
from accounts.permissions import centres_where
from accounts.selectors import get_centre_for_user
from audit.chain import verify_chain
from moderation import access as moderation_access
from moderation import dashboards as moderation_dashboards
from moderation import permissions, services
from moderation import plans as moderation_plans
from moderation import record as moderation_record
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.forms import (
    AcknowledgeForm,
    AddCriteriaForm,
    CriterionDecisionForm,
    EvidenceDecisionForm,
    GrantForm,
    PlannedSamplesForm,
    SampleDecisionForm,
    SamplingPlanForm,
    SignOffForm,
)
from portfolios import moves
from portfolios import permissions as portfolio_permissions
from portfolios import record as portfolio_record
from portfolios import selectors as portfolio_selectors
from portfolios.enums import DecisionOutcome

_status = formflow.form_status


def _apply(request, form, change, *, done, then):
    return formflow.apply(request, form, change, done=done, then=then, stale=services.StaleDecision)


# ---------------------------------------------------------------- tutors


QUEUE_PER_PAGE = 25


@login_required
def tutor_queue(request):
    centres = centres_where(request.user, Role.TUTOR)
    if not centres:
        raise PermissionDenied("The assessment queue is for tutors.")
    # A page at a time: a tutor of hundreds of learners can have hundreds of items waiting.
    page = Paginator(
        moderation_dashboards.tutor_queue_for(request.user, centres), QUEUE_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "moderation/queue.html",
        {
            "items": page,
            "page": page,
            "ready": moderation_dashboards.tutor_ready_at(request.user, centres),
            "now": timezone.now(),
            "flag_counts": moves.open_flag_counts(request.user, centres),
        },
    )


def _decided(evidence):
    def say(made):
        met = sum(d.outcome == DecisionOutcome.MET for d in made)
        return (
            f"{len(made)} decision{'s' if len(made) != 1 else ''} recorded on "
            f"{evidence.reference}: {met} met, {len(made) - met} not yet met."
        )

    return say


def _after_decision(request, evidence):
    """Where a tutor goes once decisions are recorded: this item again, or with "save and
    open the next" the oldest other item in their queue (the queue itself when it is empty)."""
    if request.POST.get("then") != "next":
        return request.path

    def then(_result):
        centres = centres_where(request.user, Role.TUTOR)
        following = moderation_dashboards.next_in_queue(request.user, centres, after=evidence.pk)
        if following is None:
            return reverse("moderation:tutor_queue")
        return reverse("moderation:evidence_assess", args=[following.pk])

    return then


@login_required
def evidence_assess(request, pk):
    evidence = moderation_access.get_evidence_for_assessment(request.user, pk)
    rows, others = portfolio_record.evidence_assessment(evidence)
    form = EvidenceDecisionForm(request.POST or None, rows=rows)
    if formflow.posted(request, form) and (
        response := _apply(
            request,
            form,
            lambda: services.criteria_decide(
                enrolment=evidence.enrolment, by=request.user, **form.service_kwargs(evidence)
            ),
            done=_decided(evidence),
            then=_after_decision(request, evidence),
        )
    ):
        return response
    add_form = AddCriteriaForm(criteria=portfolio_record.criteria_among(others)) if others else None
    files = portfolio_selectors.files_of(evidence)
    context = {"evidence": evidence, "enrolment": evidence.enrolment, "rows": rows}
    context.update({"form": form, "files": files, "add_form": add_form})
    return render(request, "moderation/evidence_assess.html", context, status=_status(form))


@require_POST
@login_required
def evidence_add_criteria(request, pk):
    evidence = moderation_access.get_evidence_for_assessment(request.user, pk)
    _, others = portfolio_record.evidence_assessment(evidence)
    form = AddCriteriaForm(request.POST, criteria=portfolio_record.criteria_among(others))
    if not form.is_valid():
        messages.error(request, "Choose criteria of the learner's units.")
        return redirect("moderation:evidence_assess", pk=evidence.pk)
    response = _apply(
        request,
        form,
        lambda: services.evidence_add_criteria(
            evidence=evidence, by=request.user, criteria=form.cleaned_data["criteria"]
        ),
        done=lambda count: (
            f"{evidence.reference} now also covers {count} more criteri"
            f"{'on' if count == 1 else 'a'}; decide them below."
        ),
        then=reverse("moderation:evidence_assess", args=[evidence.pk]),
    )
    if response is None:
        messages.error(request, " ".join(form.non_field_errors()))
    return response or redirect("moderation:evidence_assess", pk=evidence.pk)


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
    context = _record_context(request, enrolment)
    # The qualification's grade rests on every unit: not for someone granted only some.
    whole = portfolio_permissions.granted_unit_ids(request.user, enrolment) is None
    grade = portfolio_record.qualification_grade_of(enrolment) if whole else None
    # The one progress measure per unit, counted as the portfolio page counts it.
    progress = portfolio_record.progress_for(
        [enrolment], drafts=portfolio_permissions.sees_drafts(request.user, enrolment)
    )[enrolment.pk]
    for u in units:
        u.progress = progress.unit(u.unit.pk)
    return render(
        request,
        "moderation/enrolment_record.html",
        {**context, "units": units, "referrals": referrals, "qualification_grade": grade},
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
            "flags": moves.open_flags(enrolment, [unit.pk]),
            # The one progress measure, counted as the portfolio page counts it.
            "progress": portfolio_record.progress_for(
                [enrolment], drafts=portfolio_permissions.sees_drafts(user, enrolment)
            )[enrolment.pk].unit(unit.pk),
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
    if form.is_valid() and (
        response := _apply(
            request,
            form,
            lambda: services.unit_sign_off(
                enrolment=enrolment,
                unit=unit,
                by=request.user,
                request=request,
                comments=form.cleaned_data["comments"],
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
            ),
            done=lambda _: f"{unit} is signed off and locked.",
            then=(
                reverse("moderation:tutor_queue")
                if request.POST.get("then") == "queue"
                else reverse("moderation:unit_record", args=[enrolment.pk, unit.pk])
            ),
        )
    ):
        return response
    return _unit_page(request, enrolment, unit, forms={"sign_form": form}, status=400)


@require_POST
@login_required
def unit_acknowledge(request, pk, unit_pk):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk)
    if not permissions.can_acknowledge(request.user, enrolment):
        raise PermissionDenied("Only the learner acknowledges a sign-off.")
    unit = moderation_access.get_unit_for_user(request.user, enrolment, unit_pk)
    sign_off = moderation_access.get_sign_off_to_acknowledge(enrolment, unit)
    form = AcknowledgeForm(request.POST)
    if form.is_valid() and (
        response := _apply(
            request,
            form,
            lambda: services.sign_off_acknowledge(
                sign_off=sign_off, by=request.user, comment=form.cleaned_data["comment"]
            ),
            done=lambda _: f"You acknowledged the sign-off of {unit}.",
            then=reverse("moderation:unit_record", args=[enrolment.pk, unit.pk]),
        )
    ):
        return response
    return _unit_page(request, enrolment, unit, forms={"ack_form": form}, status=400)


@login_required
def criterion_detail(request, pk, criterion_pk):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk)
    criterion = moderation_access.get_criterion_for_user(request.user, enrolment, criterion_pk)
    page = portfolio_record.criterion_page(enrolment, criterion)
    form = None
    if permissions.can_assess(request.user, enrolment) and not page.locked:
        form = CriterionDecisionForm(request.POST or None, latest=page.latest)
    elif request.method == "POST":
        raise PermissionDenied("Only the learner's tutor decides, and not on a signed unit.")
    if formflow.posted(request, form) and (
        response := _apply(
            request,
            form,
            lambda: services.criteria_decide(
                enrolment=enrolment, by=request.user, **form.service_kwargs(criterion)
            ),
            done=lambda _: f"Your decision on {criterion.shown_number} is recorded.",
            then=request.path,
        )
    ):
        return response
    return render(
        request,
        "moderation/criterion_detail.html",
        {"enrolment": enrolment, "criterion": criterion, "form": form, **page.context()},
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
            # The learner reads what happened, not the chain's machinery.
            "plain": portfolio_permissions.is_enrolment_learner(request.user, enrolment),
        },
    )


# ---------------------------------------------------------------- moderators


@login_required
def sample_decide(request, pk, unit_pk, kind):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk)
    unit = moderation_access.get_unit_for_user(request.user, enrolment, unit_pk)
    kind = moderation_access.get_sample_kind_for_user(request.user, enrolment, unit, kind)
    page = moderation_record.sample_page(enrolment, unit, kind)
    form = SampleDecisionForm(
        request.POST or None,
        criteria=page.decided,
        latest=page.latest,
        vacs=kind == ModeratorKind.INTERNAL,
    )
    if formflow.posted(request, form) and (
        response := _apply(
            request,
            form,
            lambda: services.sample_decide(
                enrolment=enrolment,
                unit=unit,
                kind=kind,
                by=request.user,
                request=request,
                **form.service_kwargs(),
            ),
            done=lambda d: (
                f"{unit}: {d.get_outcome_display().lower()}, signed by {d.signature_name}."
            ),
            then=reverse("moderation:unit_record", args=[enrolment.pk, unit.pk]),
        )
    ):
        return response
    context = _record_context(request, enrolment)
    context.update(
        {"unit": unit, "kind": kind, "form": form, "SampleOutcome": SampleOutcome, **page.context()}
    )
    return render(request, "moderation/sample_decide.html", context, status=_status(form))


def _centre_for_iqa(request, centre_pk):
    centre = get_centre_for_user(request.user, centre_pk)
    if not permissions.can_plan_sampling(request.user, centre):
        raise PermissionDenied("Sampling is planned by the centre's internal moderators.")
    return centre


@login_required
def plan_list(request, centre_pk):
    centre = get_centre_for_user(request.user, centre_pk)
    if not permissions.can_view_sampling(request.user, centre):
        raise PermissionDenied("Sampling is planned by the centre's internal moderators.")
    return render(
        request,
        "moderation/plan_list.html",
        {
            "centre": centre,
            "grids": moderation_plans.plan_grids(moderation_plans.plans_for(request.user, centre)),
            "can_plan": permissions.can_plan_sampling(request.user, centre),
        },
    )


def _plan_form(request, *, centre, plan=None):
    form = SamplingPlanForm(
        request.POST or None,
        initial=SamplingPlanForm.initial_for(plan),
        centre=centre,
        moderator=request.user,
        plan=plan,
    )

    def save():
        try:
            return services.plan_save(
                centre=centre, by=request.user, plan=plan, **form.service_kwargs()
            )
        except services.DuplicatePlan as exc:
            form.existing_plan = exc.existing  # saved by someone else a moment ago
            raise

    if formflow.posted(request, form) and (
        response := _apply(
            request,
            form,
            save,
            done=lambda _: "The sampling plan is saved.",
            then=lambda saved: saved.get_absolute_url(),
        )
    ):
        return response
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
    plan = moderation_access.get_plan_for_user(request.user, pk, action="edit")
    return _plan_form(request, centre=plan.centre, plan=plan)


@login_required
def plan_detail(request, pk):
    plan = moderation_access.get_plan_for_user(request.user, pk)
    context = moderation_plans.plan_page(plan)
    can_plan = permissions.can_plan_sampling(request.user, plan.centre)
    if request.method == "POST" and not can_plan:
        raise PermissionDenied("Only the centre's internal moderators plan sample dates.")
    form = PlannedSamplesForm(request.POST or None, rows=context["grid"].rows) if can_plan else None
    if formflow.posted(request, form) and (
        response := _apply(
            request,
            form,
            lambda: services.planned_samples_save(
                plan=plan, by=request.user, **form.service_kwargs()
            ),
            done=lambda _: "The planned sample dates are saved.",
            then=request.path,
        )
    ):
        return response
    context.update({"dates_form": form, "can_plan": can_plan})
    return render(request, "moderation/plan_detail.html", context, status=_status(form))


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
    if formflow.posted(request, form) and (
        response := _apply(
            request,
            form,
            lambda: services.grant_create(centre=centre, by=request.user, **form.service_kwargs()),
            done=lambda g: f"{g.moderator} has access until {g.ends_at:%d %b %Y %H:%M}.",
            then=lambda g: g.get_absolute_url(),
        )
    ):
        return response
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
        {**moderation_dashboards.grant_page(grant), "now": timezone.now()},
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
        {
            "notifications": list(moderation_dashboards.notifications_for(request.user)),
            "digest_form": DigestForm(initial={"daily": "1" if request.user.daily_digest else "0"}),
        },
    )


@require_POST
@login_required
def notification_digest(request):
    """The person's own choice: an e-mail per event, or one a day."""
    form = DigestForm(request.POST)
    if form.is_valid():
        daily = form.cleaned_data["daily"]
        account_services.digest_choose(person=request.user, daily=daily)
        messages.success(
            request,
            "You will get one e-mail a day of what is new."
            if daily
            else "You will get an e-mail for each notification.",
        )
    return redirect("moderation:notification_list")


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
