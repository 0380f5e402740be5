import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import tokens, twofactor
from accounts.formflow import errors_to_form, form_status, posted
from accounts.forms import (
    TokenForm,
    TwoFactorEnrolForm,
    TwoFactorRemoveForm,
    TwoFactorSignInForm,
)

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request):
    """For load balancers and monitors: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure is "unhealthy"
        # The reason names the database's host, port and role: it goes to the log for the
        # operator, never to whoever asks.
        logger.exception("healthz: the database does not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


# ---------------------------------------------------------------- two-factor sign-in


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _change(request, form, change):
    """Run a two-factor service with the form's data; a refusal lands on the form."""
    try:
        return change(**form.service_kwargs())
    except ValidationError as exc:
        errors_to_form(form, exc)
        return None


@login_required
def two_factor_home(request):
    """The person's second factor: set up or not, recovery codes left, what to do next."""
    user = request.user
    return render(
        request,
        "accounts/two_factor.html",
        {
            "has_device": twofactor.has_second_factor(user),
            "required": twofactor.second_factor_required(user),
            "codes_left": twofactor.recovery_codes_left(user),
        },
    )


@login_required
def two_factor_verify(request):
    """The second step of signing in, after the password."""
    if request.session.get(twofactor.SESSION_KEY) == twofactor.VERIFY and (
        not twofactor.has_second_factor(request.user)
    ):
        # The app was removed from another session meanwhile: work the step out again.
        twofactor.mark_signed_in(request, request.user)
    step = request.session.get(twofactor.SESSION_KEY)
    if step == twofactor.ENROL:
        return redirect("two_factor_enrol")
    if step != twofactor.VERIFY:
        return redirect(_next_url(request))
    form = TwoFactorSignInForm(request.POST or None)
    if posted(request, form) and _change(
        request, form, lambda **kw: twofactor.sign_in_with_code(request=request, **kw)
    ):
        return redirect(_next_url(request))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=form_status(form),
    )


@login_required
def two_factor_enrol(request):
    """Set up an authenticator app: scan the QR code (or type the secret), then confirm with
    the code it shows. The recovery codes are shown once, on the answer."""
    user = request.user
    if twofactor.has_second_factor(user):
        messages.info(request, "You already have an authenticator app set up.")
        return redirect("two_factor")
    device = twofactor.enrolment_device(user)
    form = TwoFactorEnrolForm(request.POST or None)
    if posted(request, form):
        codes = _change(
            request,
            form,
            lambda **kw: twofactor.enrol_confirm(request=request, device=device, **kw),
        )
        if codes:
            return render(
                request,
                "accounts/two_factor_codes.html",
                {"codes": codes, "next": _next_url(request), "new_device": True},
            )
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr_svg": twofactor.qr_svg(device),
            "secret": twofactor.secret_text(device),
            "required": request.session.get(twofactor.SESSION_KEY) == twofactor.ENROL,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=form_status(form),
    )


@login_required
def two_factor_recovery(request):
    """New recovery codes (the old ones stop working), shown once."""
    if request.method == "POST":
        try:
            codes = twofactor.recovery_codes_regenerate(user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("two_factor")
        return render(
            request,
            "accounts/two_factor_codes.html",
            {"codes": codes, "next": resolve_url("two_factor")},
        )
    return redirect("two_factor")


@login_required
def two_factor_remove(request):
    """Removes the second factor: the password and a current code."""
    form = TwoFactorRemoveForm(request.POST or None)
    if posted(request, form) and (
        _change(
            request,
            form,
            lambda **kw: (
                twofactor.second_factor_remove(user=request.user, request=request, **kw) or True
            ),
        )
    ):
        messages.success(request, "Your second factor is removed.")
        return redirect("two_factor")
    return render(
        request, "accounts/two_factor_remove.html", {"form": form}, status=form_status(form)
    )


# ---------------------------------------------------------------- API tokens


@login_required
def token_list(request):
    """The person's API tokens, and a form to make one; a new token is shown once."""
    form = TokenForm(request.POST or None)
    if posted(request, form):
        made = _change(
            request,
            form,
            lambda **kw: tokens.token_create(
                user=request.user, session_verified=request.user.is_verified(), **kw
            ),
        )
        if made:
            token, secret = made
            return render(
                request, "accounts/token_created.html", {"token": token, "secret": secret}
            )
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens.tokens_of(request.user)},
        status=form_status(form),
    )


@login_required
@require_POST
def token_revoke(request, pk):
    token = tokens.get_token_for_user(request.user, pk)
    tokens.token_revoke(token=token, by=request.user)
    messages.success(request, f"The token {token.name!r} no longer works.")
    return redirect("token_list")
