"""Pages of the evidence methods as records: the tutor's observation, professional discussion,
witness request and "seen and verified" forms, and the witness's public page.

The tutor's pages fetch through the access helpers (`selectors.get_*_for_user`: 404 without
a link to the learner, 403 with a link but not the right). The witness's page needs no
account: its token is the whole of its access, and it shows the learner's first name and the
criteria asked about, nothing else of the record.
"""

from axes.helpers import get_client_ip_address
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from accounts import formflow
from portfolios import methods, permissions, selectors
from portfolios.method_forms import (
    DiscussionForm,
    ObservationForm,
    VerificationForm,
    WitnessRequestForm,
    WitnessTestimonyForm,
)
from portfolios.models import WitnessRequest

REFUSED = "Only the learner's tutor records this, while the enrolment runs."


def _posted(request):
    return request.POST if request.method == "POST" else None


def _tutor_enrolment(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk)
    if not permissions.can_record_method(request.user, enrolment):
        raise PermissionDenied(REFUSED)
    return enrolment


@login_required
def observation_create(request, pk):
    enrolment = _tutor_enrolment(request, pk)
    form = ObservationForm(_posted(request), enrolment=enrolment)
    response = formflow.posted(request, form) and formflow.apply(
        request,
        form,
        lambda: methods.observation_record(
            enrolment=enrolment, by=request.user, request=request, **form.service_kwargs()
        ),
        done=lambda o: (
            f"{o.evidence.reference} is recorded and signed; the learner submits "
            "it with their declaration."
        ),
        then=lambda o: o.evidence.get_absolute_url(),
    )
    return response or render(
        request,
        "portfolios/methods/observation_form.html",
        {"enrolment": enrolment, "form": form},
        status=formflow.form_status(form),
    )


@login_required
def discussion_create(request, pk):
    enrolment = _tutor_enrolment(request, pk)
    form = DiscussionForm(
        _posted(request), request.FILES if request.method == "POST" else None, enrolment=enrolment
    )
    response = formflow.posted(request, form) and formflow.apply(
        request,
        form,
        lambda: methods.discussion_record(
            enrolment=enrolment, by=request.user, **form.service_kwargs()
        ),
        done=lambda d: (
            f"{d.evidence.reference} is recorded; the learner submits it with their declaration."
        ),
        then=lambda d: d.evidence.get_absolute_url(),
    )
    return response or render(
        request,
        "portfolios/methods/discussion_form.html",
        {"enrolment": enrolment, "form": form},
        status=formflow.form_status(form),
    )


@login_required
def witness_request_create(request, pk):
    enrolment = _tutor_enrolment(request, pk)
    form = WitnessRequestForm(_posted(request), enrolment=enrolment)

    def link_for(token: str) -> str:
        return request.build_absolute_uri(reverse("witness_testimony", args=[token]))

    response = formflow.posted(request, form) and formflow.apply(
        request,
        form,
        lambda: methods.witness_request_create(
            enrolment=enrolment, by=request.user, link_for=link_for, **form.service_kwargs()
        ),
        done=lambda r: (
            f"The request is e-mailed to {r.witness_email}; the link works once, "
            f"until {timezone.localtime(r.expires_at):%-d %B %Y %H:%M}."
        ),
        then=request.path,
    )
    requests = (
        WitnessRequest.objects.for_enrolment(enrolment)
        .select_related("requested_by", "testimony__evidence")
        .prefetch_related("criteria__unit")
    )
    return response or render(
        request,
        "portfolios/methods/witness_request_form.html",
        {"enrolment": enrolment, "form": form, "requests": requests, "now": timezone.now()},
        status=formflow.form_status(form),
    )


@login_required
def evidence_verify(request, pk):
    evidence = selectors.get_evidence_for_user(request.user, pk)
    if not permissions.can_verify_workplace(request.user, evidence):
        raise PermissionDenied("Only the learner's tutor verifies their workplace evidence.")
    form = VerificationForm(_posted(request))
    response = formflow.posted(request, form) and formflow.apply(
        request,
        form,
        lambda: methods.workplace_verify(
            evidence=evidence, by=request.user, **form.service_kwargs()
        ),
        done=lambda v: f"{evidence.reference}: {v}.",
        then=evidence.get_absolute_url(),
    )
    return response or render(
        request,
        "portfolios/methods/verify_form.html",
        {
            "evidence": evidence,
            "enrolment": evidence.enrolment,
            "form": form,
            "is_workplace": methods.is_workplace_evidence(evidence),
        },
        status=formflow.form_status(form),
    )


# ---------------------------------------------------------------- the witness's page

UNKNOWN_LINK = (
    "This link is not valid. Check that you opened the whole link from the e-mail; if it "
    "still does not work, ask the learner's tutor for a new one."
)


def _gone(request, message: str, status: int):
    return render(
        request, "portfolios/methods/witness_gone.html", {"message": message}, status=status
    )


@never_cache
@csrf_protect
def witness_testimony(request, token):
    """Public: the witness gives testimony once, through the link e-mailed to them. The
    site's `Referrer-Policy: same-origin` keeps the link (its token) from other sites; a
    stricter no-referrer would make the browser send `Origin: null`, which CSRF refuses."""
    try:
        witness_request = methods.witness_request_for_token(token)
    except methods.WitnessLinkUnknown:
        return _gone(request, UNKNOWN_LINK, 404)
    except methods.WitnessLinkGone as gone:
        return _gone(request, gone.reason, 410)
    page = methods.witness_page(witness_request)
    form = WitnessTestimonyForm(_posted(request), criteria=page.criteria)
    if formflow.posted(request, form):
        try:
            testimony = methods.witness_testimony_submit(
                token=token, ip_address=get_client_ip_address(request), **form.service_kwargs()
            )
        except methods.WitnessLinkUnknown:
            return _gone(request, UNKNOWN_LINK, 404)
        except methods.WitnessLinkGone as gone:
            return _gone(request, gone.reason, 410)
        except ValidationError as exc:
            formflow.errors_to_form(form, exc)
        else:
            return render(
                request,
                "portfolios/methods/witness_thanks.html",
                {"first_name": page.first_name, "submitted_at": testimony.submitted_at},
            )
    return render(
        request,
        "portfolios/methods/witness_form.html",
        {"page": page, "form": form},
        status=formflow.form_status(form),
    )
