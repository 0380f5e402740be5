"""The e-signature asks for the authenticator app's current code when the signer has one."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import twofactor
from audit.enums import AuditAction
from audit.models import AuditEntry
from moderation import services
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.models import SampleDecision
from moderation.vacs import VACS_ALL_YES
from portfolios.models import UnitSignOff
from tests.accounts.test_two_factor import code_for, enrolled
from tests.factories import PASSWORD
from tests.moderation.conftest import criteria, decide


@pytest.fixture
def ready(enrolment, evidence, tutor, catalogue):
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    return catalogue.unit_a


def _sign(enrolment, unit, tutor, **kwargs):
    return services.unit_sign_off(
        enrolment=enrolment, unit=unit, by=tutor, comments="All met.", password=PASSWORD, **kwargs
    )


def test_without_a_device_the_password_signs(enrolment, ready, tutor):
    sign_off = _sign(enrolment, ready, tutor)
    assert sign_off.signature_name == str(tutor)


def test_with_a_device_the_code_is_asked_for(enrolment, ready, tutor, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device, codes = enrolled(tutor)
    signs_before = AuditEntry.objects.filter(action=AuditAction.SIGN_OFF).count()
    with pytest.raises(ValidationError) as caught:
        _sign(enrolment, ready, tutor)
    assert caught.value.message_dict == {
        "code": ["Type the current code from your authenticator app."]
    }
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationError) as caught:
        _sign(enrolment, ready, tutor, code=wrong)
    assert caught.value.message_dict == {"code": [twofactor.WRONG_CODE]}
    # A recovery code signs people in; it does not sign units.
    with pytest.raises(ValidationError):
        _sign(enrolment, ready, tutor, code=codes[0])
    assert not UnitSignOff.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.SIGN_OFF).count() == signs_before
    sign_off = _sign(enrolment, ready, tutor, code=code_for(device))
    assert sign_off.signature_name == str(tutor)


def test_wrong_password_is_refused_before_the_code_is_spent(enrolment, ready, tutor):
    device, _ = enrolled(tutor)
    code = code_for(device)
    with pytest.raises(ValidationError) as caught:
        services.unit_sign_off(
            enrolment=enrolment, unit=ready, by=tutor, comments="x", password="no", code=code
        )
    assert "password" in caught.value.message_dict
    assert _sign(enrolment, ready, tutor, code=code).signature_name == str(tutor)


def test_sign_off_page_refuses_a_wrong_code(client, enrolment, ready, tutor, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device, codes = enrolled(tutor)
    client.force_login(tutor)
    client.post(reverse("two_factor_verify"), {"token": codes[0]})
    target = reverse("moderation:unit_sign", args=[enrolment.pk, ready.pk])
    response = client.post(target, {"comments": "Good", "password": PASSWORD, "code": "000000"})
    assert response.status_code == 400
    assert twofactor.WRONG_CODE in response.text
    assert not UnitSignOff.objects.exists()
    response = client.post(
        target, {"comments": "Good", "password": PASSWORD, "code": code_for(device)}
    )
    assert response.status_code == 302
    assert UnitSignOff.objects.get(unit=ready).signature_name == str(tutor)


def test_moderators_signature_asks_for_the_code_too(
    enrolment, ready, tutor, internal_moderator, settings
):
    _sign(enrolment, ready, tutor)
    device, _ = enrolled(internal_moderator)
    kwargs = {
        "enrolment": enrolment,
        "unit": ready,
        "kind": ModeratorKind.INTERNAL,
        "vacs": VACS_ALL_YES,
        "by": internal_moderator,
        "outcome": SampleOutcome.AGREED,
        "comments": "Agreed.",
        "password": PASSWORD,
    }
    with pytest.raises(ValidationError) as caught:
        services.sample_decide(**kwargs)
    assert "code" in caught.value.message_dict
    assert not SampleDecision.objects.exists()
    services.sample_decide(**kwargs, code=code_for(device))
    assert SampleDecision.objects.count() == 1
