"""Two-factor sign-in: enrolment, the second step, recovery codes, removal, centres that
require it, and the e-signature."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.enums import Role
from audit.enums import AuditAction
from audit.models import AuditEntry
from tests.factories import MembershipFactory


def code_for(device, steps_ahead=0) -> str:
    """What the person's app shows now (or `steps_ahead` 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    codes = [f"code{i:04d}" for i in range(10)]
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=static, token=code)
    return device, codes


def sign_in(client, user, password):
    return client.post(reverse("login"), {"username": user.username, "password": password})


@pytest.fixture
def no_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# ---------------------------------------------------------------- enrolment


def test_enrol_page_shows_the_qr_code_and_the_secret(client, tutor):
    client.force_login(tutor)
    response = client.get(reverse("two_factor_enrol"))
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=tutor)
    assert device.confirmed is False
    assert "<svg" in response.text
    assert "QR code to set up your authenticator app" in response.text
    assert twofactor.secret_text(device) in response.text
    # The same device is shown until confirmed.
    client.get(reverse("two_factor_enrol"))
    assert TOTPDevice.objects.filter(user=tutor).count() == 1


def test_enrol_with_a_wrong_code_changes_nothing(client, tutor, no_throttle):
    client.force_login(tutor)
    client.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=tutor)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("two_factor_enrol"), {"token": wrong})
    assert response.status_code == 400
    assert twofactor.WRONG_CODE in response.text
    device.refresh_from_db()
    assert device.confirmed is False
    assert not StaticToken.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.TWO_FACTOR_ENROLLED).exists()


def test_enrol_confirms_and_shows_ten_recovery_codes_once(client, tutor):
    client.force_login(tutor)
    client.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=tutor)
    response = client.post(reverse("two_factor_enrol"), {"token": code_for(device)})
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed is True
    tokens = set(StaticToken.objects.filter(device__user=tutor).values_list("token", flat=True))
    assert len(tokens) == 10
    assert all(token in response.text for token in tokens)
    entry = AuditEntry.objects.get(action=AuditAction.TWO_FACTOR_ENROLLED)
    assert entry.actor == tutor
    assert entry.data == {"person": tutor.pk, "recovery_codes": 10}
    # The codes are not shown again.
    page = client.get(reverse("two_factor"))
    assert page.status_code == 200
    assert not any(token in page.text for token in tokens)
    assert "10</strong> unused recovery codes" in page.text


# ---------------------------------------------------------------- the second step


def test_password_alone_does_not_sign_in_someone_with_a_device(client, tutor, password):
    enrolled(tutor)
    response = sign_in(client, tutor, password)
    assert response.status_code == 302
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))
    assert client.get(reverse("moderation:notification_list")).status_code == 302


def test_code_after_the_password_signs_in(client, tutor, password):
    device, _ = enrolled(tutor)
    sign_in(client, tutor, password)
    response = client.post(
        reverse("two_factor_verify"), {"token": code_for(device), "next": "/centres/invitations/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/centres/invitations/"
    assert client.get(reverse("invitation_list")).status_code == 200


def test_wrong_code_is_refused(client, tutor, password, no_throttle):
    device, _ = enrolled(tutor)
    sign_in(client, tutor, password)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("two_factor_verify"), {"token": wrong})
    assert response.status_code == 400
    assert twofactor.WRONG_CODE in response.text
    assert client.get(reverse("dashboard")).status_code == 302


def test_wrong_codes_are_throttled(client, tutor, password):
    device, _ = enrolled(tutor)
    sign_in(client, tutor, password)
    client.post(reverse("two_factor_verify"), {"token": "000000"})
    # Even the right code waits after a wrong one.
    response = client.post(reverse("two_factor_verify"), {"token": code_for(device)})
    assert response.status_code == 400
    assert twofactor.THROTTLED in response.text
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_code_used_once_is_refused_in_the_same_time_step(client, tutor, password, no_throttle):
    device, _ = enrolled(tutor)
    code = code_for(device)
    sign_in(client, tutor, password)
    assert client.post(reverse("two_factor_verify"), {"token": code}).status_code == 302
    client.post(reverse("logout"))
    sign_in(client, tutor, password)
    response = client.post(reverse("two_factor_verify"), {"token": code})
    assert response.status_code == 400
    assert client.get(reverse("dashboard")).status_code == 302


def test_recovery_code_signs_in_once(client, tutor, password, no_throttle):
    _, codes = enrolled(tutor)
    sign_in(client, tutor, password)
    assert client.post(reverse("two_factor_verify"), {"token": codes[3]}).status_code == 302
    assert client.get(reverse("invitation_list")).status_code == 200
    assert not StaticToken.objects.filter(token=codes[3]).exists()
    client.post(reverse("logout"))
    sign_in(client, tutor, password)
    response = client.post(reverse("two_factor_verify"), {"token": codes[3]})
    assert response.status_code == 400
    assert client.get(reverse("dashboard")).status_code == 302
    assert StaticToken.objects.filter(device__user=tutor).count() == 9


def test_someone_elses_recovery_code_is_refused(client, tutor, centre_admin, password):
    enrolled(tutor)
    enrolled(centre_admin)
    StaticToken.objects.filter(device__user=centre_admin).update(token="other0001")
    sign_in(client, tutor, password)
    assert client.post(reverse("two_factor_verify"), {"token": "other0001"}).status_code == 400
    assert StaticToken.objects.filter(token="other0001").exists()


def test_without_a_device_the_password_is_enough(client, tutor, password):
    sign_in(client, tutor, password)
    assert client.get(reverse("invitation_list")).status_code == 200
    assert twofactor.SESSION_KEY not in client.session


# ---------------------------------------------------------------- recovery codes, removal


def test_new_recovery_codes_replace_the_old(client, tutor):
    _, old = enrolled(tutor)
    client.force_login(tutor)
    # force_login is the password step: finish the second with a recovery code.
    client.post(reverse("two_factor_verify"), {"token": old[0]})
    response = client.post(reverse("two_factor_recovery"))
    assert response.status_code == 200
    new = set(StaticToken.objects.filter(device__user=tutor).values_list("token", flat=True))
    assert len(new) == 10
    assert not new & set(old)
    assert all(code in response.text for code in new)
    assert AuditEntry.objects.filter(action=AuditAction.RECOVERY_CODES_REGENERATED).count() == 1


def test_remove_asks_for_password_and_code(client, tutor, password, no_throttle):
    device, codes = enrolled(tutor)
    client.force_login(tutor)
    client.post(reverse("two_factor_verify"), {"token": codes[0]})
    url = reverse("two_factor_remove")
    response = client.post(url, {"password": "wrong", "token": code_for(device)})
    assert response.status_code == 400
    assert "That is not your password." in response.text
    response = client.post(url, {"password": password, "token": "123"})
    assert response.status_code == 400
    assert twofactor.has_second_factor(tutor)
    assert not AuditEntry.objects.filter(action=AuditAction.TWO_FACTOR_REMOVED).exists()
    response = client.post(url, {"password": password, "token": code_for(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=tutor).exists()
    assert not StaticDevice.objects.filter(user=tutor).exists()
    entry = AuditEntry.objects.get(action=AuditAction.TWO_FACTOR_REMOVED)
    assert entry.actor == tutor


def test_remove_is_refused_while_the_centre_requires_it(centre, tutor, password):
    device, _ = enrolled(tutor)
    centre.staff_two_factor_required = True
    centre.save()
    with pytest.raises(ValidationError) as caught:
        twofactor.second_factor_remove(user=tutor, password=password, token=code_for(device))
    assert "Your centre requires a second factor" in str(caught.value)
    assert twofactor.has_second_factor(tutor)


# ---------------------------------------------------------------- required by the centre


@pytest.fixture
def strict_centre(centre, centre_admin):
    twofactor.centre_two_factor_set(centre=centre, required=True, by=centre_admin)
    centre.refresh_from_db()
    return centre


@pytest.mark.parametrize(
    "role", [Role.TUTOR, Role.INTERNAL_MODERATOR, Role.EXTERNAL_MODERATOR, Role.CENTRE_ADMIN]
)
def test_staff_without_a_device_are_sent_to_enrol(client, strict_centre, people, password, role):
    person = people[role]
    sign_in(client, person, password)
    for url in (reverse("dashboard"), reverse("centre_detail", args=[strict_centre.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor_enrol"))
    # A forged post elsewhere is sent there too and changes nothing.
    response = client.post(reverse("two_factor_recovery"))
    assert response.status_code == 302
    assert not StaticToken.objects.exists()
    page = client.get(reverse("two_factor_enrol"))
    assert page.status_code == 200
    assert "Your centre requires a second factor" in page.text


def test_after_enrolling_the_staff_member_carries_on(client, strict_centre, tutor, password):
    sign_in(client, tutor, password)
    client.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=tutor)
    client.post(reverse("two_factor_enrol"), {"token": code_for(device)})
    assert client.get(reverse("invitation_list")).status_code == 200


def test_learners_are_never_required(client, strict_centre, learner, password):
    sign_in(client, learner, password)
    assert client.get(reverse("invitation_list")).status_code == 200
    assert not twofactor.second_factor_required(learner)


def test_a_learner_who_is_staff_elsewhere_is_required(
    client, strict_centre, other_centre, learner, password
):
    MembershipFactory(user=learner, centre=other_centre, role=Role.TUTOR)
    assert not twofactor.second_factor_required(learner)
    MembershipFactory(user=learner, centre=strict_centre, role=Role.TUTOR)
    assert twofactor.second_factor_required(learner)


def test_site_staff_when_the_site_says_so(client, settings, db, password):
    from accounts.models import User

    root = User.objects.create_user("root", password=password, is_staff=True)
    assert not twofactor.second_factor_required(root)
    settings.TWO_FACTOR_REQUIRED_FOR_SITE_STAFF = True
    assert twofactor.second_factor_required(root)
    client.post(reverse("admin:login"), {"username": "root", "password": password})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_enrol"))


def test_centre_rule_is_audited_and_only_admins_change_it(centre, centre_admin, tutor):
    with pytest.raises(ValidationError):
        twofactor.centre_two_factor_set(centre=centre, required=True, by=tutor)
    centre.refresh_from_db()
    assert centre.staff_two_factor_required is False
    twofactor.centre_two_factor_set(centre=centre, required=True, by=centre_admin)
    twofactor.centre_two_factor_set(centre=centre, required=True, by=centre_admin)
    centre.refresh_from_db()
    assert centre.staff_two_factor_required is True
    entries = AuditEntry.objects.filter(action=AuditAction.CENTRE_TWO_FACTOR)
    assert entries.count() == 1
    assert entries.get().centre == centre
    assert entries.get().data == {"required": True}


def test_centre_admin_switches_the_rule_on_from_the_centre_page(client, centre, centre_admin):
    client.force_login(centre_admin)
    page = client.get(reverse("centre_detail", args=[centre.pk]))
    assert "Not required: staff choose for themselves." in page.text
    response = client.post(reverse("centre_two_factor", args=[centre.pk]), {"required": "on"})
    assert response.status_code == 302
    centre.refresh_from_db()
    assert centre.staff_two_factor_required is True
    entry = AuditEntry.objects.get(action=AuditAction.CENTRE_TWO_FACTOR)
    assert entry.actor == centre_admin
    # The admin's own session was signed in before the rule: it carries on until the next
    # sign-in, which sends them to set up an app.
    page = client.get(reverse("centre_detail", args=[centre.pk]))
    assert "Required of this centre's staff." in page.text
    client.post(reverse("centre_two_factor", args=[centre.pk]), {})
    centre.refresh_from_db()
    assert centre.staff_two_factor_required is False
    assert AuditEntry.objects.filter(action=AuditAction.CENTRE_TWO_FACTOR).count() == 2


def test_only_the_centres_admin_may_switch_the_rule(client, centre, tutor, outsider):
    url = reverse("centre_two_factor", args=[centre.pk])
    client.force_login(tutor)
    assert client.post(url, {"required": "on"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"required": "on"}).status_code == 404
    centre.refresh_from_db()
    assert centre.staff_two_factor_required is False
    assert not AuditEntry.objects.filter(action=AuditAction.CENTRE_TWO_FACTOR).exists()


def test_fragments_get_nothing_before_the_second_step(client, tutor, password):
    enrolled(tutor)
    sign_in(client, tutor, password)
    response = client.get(reverse("moderation:notification_badge"), headers={"HX-Request": "1"})
    assert response.status_code == 403
    assert response.content == b""


def test_the_site_admin_changes_no_second_factor_unaudited():
    from django.contrib import admin

    from accounts.models import Centre

    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)
    assert "staff_two_factor_required" in admin.site.get_model_admin(Centre).readonly_fields


def test_the_password_alone_reaches_no_two_factor_page_but_the_step(client, tutor, password):
    """Or it could make new recovery codes and sign in with them."""
    _, codes = enrolled(tutor)
    sign_in(client, tutor, password)
    for url in (reverse("two_factor"), reverse("two_factor_remove"), reverse("two_factor_enrol")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor_verify"))
    response = client.post(reverse("two_factor_recovery"))
    assert response.status_code == 302
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(codes)
    assert not AuditEntry.objects.filter(action=AuditAction.RECOVERY_CODES_REGENERATED).exists()


def test_someone_required_to_enrol_reaches_only_the_enrol_page(
    client, strict_centre, tutor, password
):
    sign_in(client, tutor, password)
    for url in (reverse("two_factor"), reverse("two_factor_verify")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor_enrol"))


def test_a_device_removed_elsewhere_meanwhile_does_not_trap_the_session(client, tutor, password):
    enrolled(tutor)
    sign_in(client, tutor, password)
    TOTPDevice.objects.filter(user=tutor).delete()
    response = client.get(reverse("two_factor_verify"))
    assert response.status_code == 302
    assert client.get(reverse("invitation_list")).status_code == 200


def test_wrong_codes_lock_like_wrong_passwords(client, tutor, password, no_throttle, settings):
    device, codes = enrolled(tutor)
    sign_in(client, tutor, password)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("two_factor_verify"), {"token": "000000"})
    response = client.post(reverse("two_factor_verify"), {"token": code_for(device)})
    assert response.status_code == 400
    assert twofactor.THROTTLED in response.text
    # The recovery codes have their own count.
    assert client.post(reverse("two_factor_verify"), {"token": codes[0]}).status_code == 302


def test_remove_without_a_request_checks_the_password(tutor, password):
    device, _ = enrolled(tutor)
    with pytest.raises(ValidationError):
        twofactor.second_factor_remove(user=tutor, password="no", token=code_for(device))
    twofactor.second_factor_remove(user=tutor, password=password, token=code_for(device))
    assert not twofactor.has_second_factor(tutor)
