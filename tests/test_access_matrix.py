"""The role matrix of every URL that takes an argument, grown from the URL configuration.

Every named pattern with a converter argument must be in `MATRIX` (or in `SKIPPED`, with a
reason), so a new URL fails this suite until someone writes down who may use it. Each URL is
requested by eleven actors with GET and with a forged POST, and each cell is one of:

- "ok": let in (2xx, or a redirect anywhere but the sign-in page);
- "refused": let in, but the forged data was refused (400);
- "denied": 403, a link to the object but not this right;
- "hidden": 404, no link to the object (its existence is not revealed);
- "login": 302 to the sign-in page;
- "method": 405, the URL does not take this method.

An allowed GET must not show another centre's data, nor (to someone with no link to her) the
learner's name, nor a draft to anyone outside the learner's centre staff. A POST by anyone not
in the URL's `writers` must leave every row of the record as it was. The expectations follow
the documented rules (README "Security model", each app's README, issue 10); where today's code
breaks them the cell keeps the right expectation and is listed in `KNOWN_FAILURES`.

The actors (tests/access_matrix_data.py): anonymous; owner (alice, the learner); other_learner
(dora, same centre); tutor (bob, alice's); other_tutor (tess, dora's); iqa; eqa (a grant of
alice's whole portfolio); eqa_unit (a grant of unit A only); eqa_expired (a grant of alice's
portfolio that has ended); admin (of centre A); other_admin (every role, at centre B only).

A new URL: add a row to MATRIX with its arguments from the scenario, the outcome of every
actor's GET and POST (the helpers `linked`, `centre_page`, `row` … keep a row short), the form
data a forger would send and who may change something with it (`writers`).

One scenario is built for the module (tests/access_matrix_data.py) and every request runs in a
savepoint that is rolled back, so no cell can disturb another; each cell is its own test,
named URL-actor-method, and the cells in KNOWN_FAILURES xfail strictly.
"""

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access_matrix_data import (
    ACTORS,
    DRAFT_MARKER,
    INTAKE_CSV,
    OTHER_CENTRE_MARKERS,
    OWNER_MARKER,
    UNIT_B_MARKER,
    Scenario,
    access_log_count,
    build_scenario,
    snapshot,
)
from tests.checklists.helpers import pdf_text
from tests.factories import PASSWORD

# Marked so that pytest-django sets up the test database; each test then runs in a savepoint
# inside the module's transaction (see the `scenario` fixture).
pytestmark = pytest.mark.django_db

OK, REFUSED, DENIED, HIDDEN, LOGIN, METHOD = "ok", "refused", "denied", "hidden", "login", "method"

# URL patterns with arguments that this matrix does not cover, and why.
SKIPPED_NAMESPACES = {
    "admin": "Django admin: staff only, each ModelAdmin checks Django's model permissions",
    "api": "the REST API reads no session, only a token (Authorization: Bearer): "
    "tests/api/test_resources.py asks each of its URLs as each role, with the same helpers",
}
SKIPPED = {
    "password_reset_confirm": "django.contrib.auth: a signed token for a password reset, no "
    "object of ours",
}

A_MEMBERS = (
    "owner",
    "other_learner",
    "tutor",
    "other_tutor",
    "iqa",
    "eqa",
    "eqa_unit",
    "eqa_expired",
    "admin",
)
# Those who see alice's whole portfolio (portfolios.permissions.can_view_enrolment).
VIEWERS = ("owner", "tutor", "iqa", "eqa", "admin")
# ... and those whose grant opens only unit A of it.
RECORD_VIEWERS = (*VIEWERS, "eqa_unit")
# Actors with no link to alice: her name must not reach them.
UNLINKED = ("other_learner", "other_tutor", "eqa_expired", "other_admin")
# External moderators: everything of a learner's that they open is logged (README, Security
# model); the catalogue and blank forms hold nothing of a learner's.
EXTERNAL = ("eqa", "eqa_unit", "eqa_expired")
CATALOGUE_URLS = (
    "qualification_detail",
    "qualification_structure",
    "unit_detail",
    "checklist_blank_unit",
    "checklist_blank_qualification",
)
# Public pages whose token is the whole of their access (a witness's one-time link): no one
# opens the record through them, so nothing is logged, and everyone gets the same answer.
PUBLIC_URLS = ("witness_testimony",)
# A draft is not shown outside the learner, her tutor and her centre's staff (issue 10, item 5).
NOT_FOR_DRAFTS = ("other_learner", "other_tutor", "eqa", "eqa_unit", "eqa_expired", "other_admin")


def row(default=HIDDEN, *, anonymous=LOGIN, **cells) -> dict:
    """Every actor's outcome: `default` unless named."""
    unknown = set(cells) - set(ACTORS)
    assert not unknown, f"no such actor: {unknown}"
    return {actor: cells.get(actor, default) for actor in ACTORS} | {"anonymous": anonymous}


def signed_in(outcome=OK) -> dict:
    return row(outcome)


def everyone(outcome) -> dict:
    return row(outcome, anonymous=outcome)


def linked(allowed=(), *, linked_to=VIEWERS, outcome=OK) -> dict:
    """Alice's enrolment or evidence: `allowed` let in, the rest of `linked_to` refused (403),
    everyone else 404."""
    cells = dict.fromkeys(linked_to, DENIED) | dict.fromkeys(allowed, outcome)
    return row(HIDDEN, **cells)


def centre_page(allowed=(), *, outcome=OK) -> dict:
    """A page of centre A: its people who may use it let in, its other people refused (403),
    anyone else 404."""
    return linked(allowed, linked_to=A_MEMBERS, outcome=outcome)


def post_only(anonymous=METHOD) -> dict:
    """GET on a POST-only URL: 405 (after the sign-in check when that decorator comes first)."""
    return row(METHOD, anonymous=anonymous)


@dataclass(frozen=True)
class Access:
    """One URL of the matrix: its arguments from the scenario, the outcome of every actor's
    GET and forged POST, the POST's form data, and who may change something by posting."""

    kwargs: Callable[[Scenario], dict]
    get: dict
    post: dict
    data: Callable[[Scenario], dict] = lambda s: {"forged": "1"}
    writers: tuple = ()
    query: Callable[[Scenario], str] = lambda s: ""


# ---------------------------------------------------------------- forged form data

TODAY = "2026-03-02"


def evidence_data(s):
    return {
        "title": "Forged evidence",
        "method": s.extra["observation"],
        "date": "2026-02-01",
        "description": "",
        "text": "Forged account of the work.",
        "workplace_location": "",
        "upload_complete": "1",
    }


def enrolment_data(s):
    return {
        "learner": s.extra["new_learner"],
        "tutor": s.actors["other_tutor"].pk,
        "registration_number": "FORGED",
        "start_date": "2026-01-05",
        "planned_end_date": "2026-12-18",
        "status": "withdrawn",
        "units": [s.unit_a.pk, s.unit_b.pk],
    }


def submit_data(s):
    return {"evidence": [s.draft.pk], "confirm": "on"}


def sample_data(s):
    # The VACS answers are the internal moderator's (the external moderator's form ignores them).
    vacs = {f"vacs_{name}": "yes" for name in ("valid", "authentic", "current", "sufficient")}
    return {"outcome": "agreed", "comments": "Forged.", "password": PASSWORD, "seen": "", **vacs}


def planned_dates_data(s):
    # Bob's plan: a planned sample date for alice.
    return {f"planned_{s.enrolment.pk}": "2026-03-20"}


def plan_data(s):
    # Tess has no plan yet (bob has): a new plan for the IQA, a changed one for the plan's page.
    return {
        "tutor": s.actors["other_tutor"].pk,
        "qualification": s.qualification.pk,
        "learner_rate": 100,
        "unit_rate": 100,
        "include_interim": "on",
        "include_summative": "on",
    }


def grant_data(s):
    return {
        "moderator": s.actors["eqa"].pk,
        "starts_at": "2026-01-01T09:00",
        "ends_at": "2099-01-01T09:00",
        "enrolments": [s.other_learner_enrolment.pk],
    }


def person_data(s):
    # The learner's own e-mail: a forged "add person" must not touch her account.
    return {
        "first_name": "Forged",
        "last_name": "Person",
        "email": s.actors["owner"].email,
        "roles": ["admin"],
    }


def intake_data(s):
    return {"file": SimpleUploadedFile("class.csv", INTAKE_CSV, content_type="text/csv")}


def observation_data(s):
    return {
        "title": "Forged observation",
        "observed": "Forged.",
        "place": "Forged place",
        "observed_at": "2026-02-01T10:00",
        "criteria": [s.criterion_b.pk],
        "password": PASSWORD,
    }


def discussion_data(s):
    return {
        "title": "Forged discussion",
        "date": "2026-02-01",
        "question_1": "Forged question?",
        "answer_1": "Forged answer.",
        "criteria": [s.criterion_b.pk],
    }


def witness_request_data(s):
    return {"witness_email": "forged@example.org", "days": 7, "criteria": [s.criterion_b.pk]}


def enrolment(s):
    return {"pk": s.enrolment.pk}


def centre(s):
    return {"pk": s.centre.pk}


def centre_pk(s):
    return {"centre_pk": s.centre.pk}


def unit(which):
    return lambda s: {"pk": s.enrolment.pk, "unit_pk": getattr(s, which).pk}


def evidence(which):
    return lambda s: {"pk": getattr(s, which).pk}


def person(centre_attr):
    return lambda s: {"pk": getattr(s, centre_attr).pk, "person_pk": s.actors["owner"].pk}


# ---------------------------------------------------------------- the matrix

CATALOGUE = signed_in()
OWN_CATALOGUE = row(OK, other_admin=HIDDEN)
BLANK_PDF = Access(
    kwargs=lambda s: {"slug": s.unit_a.slug, "layout": "record"},
    get=signed_in(),
    post=everyone(METHOD),
)
PORTFOLIO_PAGE = linked(VIEWERS)

# An item's pages: the submitted one is also open to the unit-only grant (it covers unit A).
SUBMITTED_VIEW = linked(RECORD_VIEWERS, linked_to=RECORD_VIEWERS)
DRAFT_VIEW = linked(
    ("owner", "tutor", "iqa", "admin"), linked_to=("owner", "tutor", "iqa", "admin")
)
# Changing a draft: only its author (alice); a submitted item: nobody.
DRAFT_EDIT = linked(("owner",), linked_to=("owner", "tutor", "iqa", "admin"))
SUBMITTED_EDIT = linked((), linked_to=RECORD_VIEWERS)

MATRIX: dict[str, dict[str, Access]] = {
    # ------------------------------------------------ catalogue: anyone signed in
    "qualification_detail": {
        "": Access(kwargs=lambda s: {"pk": s.qualification.pk}, get=CATALOGUE, post=CATALOGUE)
    },
    "qualification_structure": {
        "": Access(
            kwargs=lambda s: {"pk": s.qualification.pk},
            get=CATALOGUE,
            post=post_only(anonymous=LOGIN),
        )
    },
    "unit_detail": {
        "": Access(kwargs=lambda s: {"slug": s.unit_a.slug}, get=CATALOGUE, post=CATALOGUE),
        # Centre A's own unit: centre B's people are not told it exists.
        "own": Access(
            kwargs=lambda s: {"slug": s.extra["own_unit"]},
            get=OWN_CATALOGUE,
            post=OWN_CATALOGUE,
        ),
    },
    # Publishing to the shared catalogue: the site's staff only (none of the actors).
    "unit_publish": {
        "": Access(
            kwargs=lambda s: {"slug": s.unit_a.slug}, get=post_only(), post=signed_in(DENIED)
        ),
        "own": Access(
            kwargs=lambda s: {"slug": s.extra["own_unit"]},
            get=post_only(),
            post=row(DENIED, other_admin=HIDDEN),
        ),
    },
    "qualification_publish": {
        "": Access(
            kwargs=lambda s: {"pk": s.qualification.pk}, get=post_only(), post=signed_in(DENIED)
        )
    },
    # The rules editor: the shared catalogue's editors (no actor here) on shared ones; a
    # centre's admins on its own, which no other centre sees.
    "qualification_rules": {
        "": Access(
            kwargs=lambda s: {"pk": s.qualification.pk},
            get=row(DENIED),
            post=row(DENIED),
        ),
        "own": Access(
            kwargs=lambda s: {"pk": s.extra["own_qualification"]},
            get=centre_page(("admin",)),
            post=centre_page(("admin",), outcome=REFUSED),
        ),
    },
    "checklist_blank_unit": {"": BLANK_PDF},
    "checklist_blank_qualification": {
        "": Access(
            kwargs=lambda s: {"pk": s.qualification.pk, "layout": "record"},
            get=signed_in(),
            post=everyone(METHOD),
        )
    },
    # ------------------------------------------------ portfolios
    "enrolment_list": {
        "": Access(
            kwargs=centre_pk,
            get=centre_page(("owner", "other_learner", "tutor", "other_tutor", "iqa", "admin")),
            post=centre_page(("owner", "other_learner", "tutor", "other_tutor", "iqa", "admin")),
        )
    },
    "enrolment_create": {
        "": Access(
            kwargs=centre_pk,
            query=lambda s: f"?qualification={s.qualification.pk}",
            get=centre_page(("admin",)),
            post=centre_page(("admin",)),
            data=enrolment_data,
            writers=("admin",),
        )
    },
    "portfolio": {"": Access(kwargs=enrolment, get=PORTFOLIO_PAGE, post=PORTFOLIO_PAGE)},
    "enrolment_update": {
        "": Access(
            kwargs=enrolment,
            get=linked(("admin",)),
            post=linked(("admin",)),
            data=enrolment_data,
            writers=("admin",),
        )
    },
    # Unit A is signed and holds work: withdrawn with a reason by the centre's admin only.
    "enrolment_unit_withdraw": {
        "": Access(
            kwargs=unit("unit_a"),
            get=linked(("admin",)),
            post=linked(("admin",)),
            data=lambda s: {"reason": "Forged withdrawal"},
            writers=("admin",),
        )
    },
    # Nothing is withdrawn, so even the admin's restore is refused with a reason.
    "enrolment_unit_restore": {
        "": Access(
            kwargs=unit("unit_a"),
            get=linked(("admin",)),
            post=linked(("admin",), outcome=REFUSED),
            data=lambda s: {"reason": "Forged restore"},
        )
    },
    # A person's own API tokens: only the owner revokes hers; anyone else is told nothing.
    "token_revoke": {
        "": Access(
            kwargs=lambda s: {"pk": s.extra["token"]},
            get=post_only(anonymous=LOGIN),
            post=row(HIDDEN, owner=OK),
            writers=("owner",),
        )
    },
    "invitation_accept": {
        "": Access(
            kwargs=lambda s: {"pk": s.extra["invitation"]},
            get=post_only(anonymous=LOGIN),
            post=row(HIDDEN, owner=OK),
            writers=("owner",),
        )
    },
    "evidence_list": {"": Access(kwargs=enrolment, get=PORTFOLIO_PAGE, post=PORTFOLIO_PAGE)},
    "evidence_create": {
        "": Access(
            kwargs=enrolment,
            get=linked(("owner", "tutor")),
            post=linked(("owner", "tutor")),
            data=evidence_data,
            writers=("owner", "tutor"),
        )
    },
    "enrolment_submit": {
        "": Access(
            kwargs=enrolment,
            get=linked(("owner",)),
            post=linked(("owner",)),
            data=submit_data,
            writers=("owner",),
        )
    },
    "evidence_detail": {
        "submitted": Access(kwargs=evidence("submitted"), get=SUBMITTED_VIEW, post=SUBMITTED_VIEW),
        "draft": Access(kwargs=evidence("draft"), get=DRAFT_VIEW, post=DRAFT_VIEW),
    },
    "evidence_update": {
        "submitted": Access(
            kwargs=evidence("submitted"),
            get=SUBMITTED_EDIT,
            post=SUBMITTED_EDIT,
            data=evidence_data,
        ),
        "draft": Access(
            kwargs=evidence("draft"),
            get=DRAFT_EDIT,
            post=DRAFT_EDIT,
            data=evidence_data,
            writers=("owner",),
        ),
    },
    "evidence_map": {
        "submitted": Access(
            kwargs=evidence("submitted"),
            get=SUBMITTED_EDIT,
            post=SUBMITTED_EDIT,
            data=lambda s: {"criteria": [s.criterion_b.pk]},
        ),
        "draft": Access(
            kwargs=evidence("draft"),
            get=DRAFT_EDIT,
            post=DRAFT_EDIT,
            data=lambda s: {"criteria": [s.criterion_b.pk]},
            writers=("owner",),
        ),
    },
    "evidence_submit": {
        "draft": Access(
            kwargs=evidence("draft"),
            get=DRAFT_EDIT,
            post=DRAFT_EDIT,
            data=submit_data,
            writers=("owner",),
        )
    },
    "evidence_delete": {
        "submitted": Access(kwargs=evidence("submitted"), get=post_only(), post=SUBMITTED_EDIT),
        "draft": Access(
            kwargs=evidence("draft"), get=post_only(), post=DRAFT_EDIT, writers=("owner",)
        ),
    },
    "evidence_file_download": {
        "submitted": Access(
            kwargs=evidence("submitted_file"), get=SUBMITTED_VIEW, post=everyone(METHOD)
        ),
        "draft": Access(kwargs=evidence("draft_file"), get=DRAFT_VIEW, post=everyone(METHOD)),
    },
    "evidence_file_preview": {
        "submitted": Access(
            kwargs=evidence("submitted_file"), get=SUBMITTED_VIEW, post=everyone(METHOD)
        ),
        "draft": Access(kwargs=evidence("draft_file"), get=DRAFT_VIEW, post=everyone(METHOD)),
    },
    # ------------------------------------------------ evidence methods as records
    # The learner's own tutor records observations and discussions and asks witnesses.
    "observation_create": {
        "": Access(
            kwargs=enrolment,
            get=linked(("tutor",)),
            post=linked(("tutor",)),
            data=observation_data,
            writers=("tutor",),
        )
    },
    "discussion_create": {
        "": Access(
            kwargs=enrolment,
            get=linked(("tutor",)),
            post=linked(("tutor",)),
            data=discussion_data,
            writers=("tutor",),
        )
    },
    "witness_request": {
        "": Access(
            kwargs=enrolment,
            get=linked(("tutor",)),
            post=linked(("tutor",)),
            data=witness_request_data,
            writers=("tutor",),
        )
    },
    # The submitted item is a reflective account, not workplace evidence: even the tutor's
    # "seen and verified" is refused.
    "evidence_verify": {
        "": Access(
            kwargs=evidence("submitted"),
            get=linked(("tutor",), linked_to=RECORD_VIEWERS),
            post=linked(("tutor",), linked_to=RECORD_VIEWERS, outcome=REFUSED),
            data=lambda s: {"verified_on": "2026-02-01", "place": "Forged place"},
        )
    },
    # Public: whoever holds the link sees the learner's first name and the criteria asked
    # about (never her surname: checked for the unlinked actors); a forged post is refused.
    "witness_testimony": {
        "": Access(
            kwargs=lambda s: {"token": s.extra["witness_token"]},
            get=everyone(OK),
            post=everyone(REFUSED),
        )
    },
    # ------------------------------------------------ moderation: assessing
    "moderation:evidence_assess": {
        "": Access(
            kwargs=evidence("submitted"),
            get=linked(("tutor",), linked_to=RECORD_VIEWERS),
            post=linked(("tutor",), linked_to=RECORD_VIEWERS),
            data=lambda s: {"decided_on": TODAY, f"outcome_{s.criterion_b.pk}": "met"},
            writers=("tutor",),
        )
    },
    "moderation:evidence_add_criteria": {
        "": Access(
            kwargs=evidence("submitted"),
            get=post_only(),
            post=linked(("tutor",), linked_to=RECORD_VIEWERS),
            data=lambda s: {"criteria": [s.extra["criterion_b2"]]},
            writers=("tutor",),
        )
    },
    # ------------------------------------------------ moderation: the record
    "moderation:enrolment_record": {
        "": Access(
            kwargs=enrolment,
            get=linked(RECORD_VIEWERS, linked_to=RECORD_VIEWERS),
            post=linked(RECORD_VIEWERS, linked_to=RECORD_VIEWERS),
        )
    },
    "moderation:enrolment_audit": {
        "": Access(
            kwargs=enrolment,
            get=linked(("owner", "tutor", "iqa", "admin"), linked_to=RECORD_VIEWERS),
            post=linked(("owner", "tutor", "iqa", "admin"), linked_to=RECORD_VIEWERS),
        )
    },
    "eqa_bundle": {
        "": Access(
            kwargs=enrolment,
            get=linked(("iqa", "eqa", "eqa_unit", "admin"), linked_to=RECORD_VIEWERS),
            post=everyone(METHOD),
        )
    },
    "moderation:criterion_detail": {
        # Unit A was referred back, so its tutor may decide again.
        "unit_a": Access(
            kwargs=lambda s: {"pk": s.enrolment.pk, "criterion_pk": s.criterion_a.pk},
            get=linked(RECORD_VIEWERS, linked_to=RECORD_VIEWERS),
            post=linked(("tutor",), linked_to=RECORD_VIEWERS),
            data=lambda s: {"outcome": "met", "feedback": "Forged.", "decided_on": TODAY},
            writers=("tutor",),
        ),
        "unit_b": Access(
            kwargs=lambda s: {"pk": s.enrolment.pk, "criterion_pk": s.criterion_b.pk},
            get=linked(VIEWERS),
            post=linked(("tutor",)),
            data=lambda s: {"outcome": "met", "feedback": "Forged.", "decided_on": TODAY},
            writers=("tutor",),
        ),
    },
    "moderation:unit_record": {
        "unit_a": Access(
            kwargs=unit("unit_a"),
            get=linked(RECORD_VIEWERS, linked_to=RECORD_VIEWERS),
            post=linked(RECORD_VIEWERS, linked_to=RECORD_VIEWERS),
        ),
        "unit_b": Access(kwargs=unit("unit_b"), get=linked(VIEWERS), post=linked(VIEWERS)),
    },
    "moderation:unit_sign": {
        # The tutor is let in, but unit A cannot be signed: the referral reopened 1.1.
        "": Access(
            kwargs=unit("unit_a"),
            get=post_only(),
            post=linked(("tutor",), linked_to=RECORD_VIEWERS, outcome=REFUSED),
            data=lambda s: {"comments": "Forged.", "password": PASSWORD},
            writers=("tutor",),
        )
    },
    "moderation:unit_acknowledge": {
        "": Access(
            kwargs=unit("unit_a"),
            get=post_only(),
            post=linked(("owner",), linked_to=RECORD_VIEWERS),
            data=lambda s: {"comment": "Forged.", "confirm": "on"},
            writers=("owner",),
        )
    },
    "moderation:sample_decide": {
        "internal": Access(
            kwargs=lambda s: unit("unit_a")(s) | {"kind": "internal"},
            get=linked(("iqa",), linked_to=RECORD_VIEWERS),
            post=linked(("iqa",), linked_to=RECORD_VIEWERS),
            data=sample_data,
            writers=("iqa",),
        ),
        "external": Access(
            kwargs=lambda s: unit("unit_a")(s) | {"kind": "external"},
            get=linked(("eqa", "eqa_unit"), linked_to=RECORD_VIEWERS),
            post=linked(("eqa", "eqa_unit"), linked_to=RECORD_VIEWERS),
            data=sample_data,
            writers=("eqa", "eqa_unit"),
        ),
    },
    # ------------------------------------------------ moderation: the centre's moderators
    "moderation:plan_list": {
        # The admins read the plans their dashboard's report links to; only IQA changes them.
        "": Access(
            kwargs=centre_pk,
            get=centre_page(("iqa", "admin")),
            post=centre_page(("iqa", "admin")),
        )
    },
    "moderation:plan_create": {
        "": Access(
            kwargs=centre_pk,
            get=centre_page(("iqa",)),
            post=centre_page(("iqa",)),
            data=plan_data,
            writers=("iqa",),
        )
    },
    "moderation:plan_detail": {
        "": Access(
            kwargs=lambda s: {"pk": s.plan.pk},
            get=centre_page(("iqa", "admin")),
            post=centre_page(("iqa",)),
            data=planned_dates_data,
            writers=("iqa",),
        )
    },
    "moderation:plan_update": {
        "": Access(
            kwargs=lambda s: {"pk": s.plan.pk},
            get=centre_page(("iqa",)),
            post=centre_page(("iqa",)),
            data=plan_data,
            writers=("iqa",),
        )
    },
    "moderation:referral_list": {
        "": Access(kwargs=centre_pk, get=centre_page(("iqa",)), post=centre_page(("iqa",)))
    },
    "moderation:centre_audit": {
        "": Access(
            kwargs=centre_pk,
            get=centre_page(("iqa", "admin")),
            post=centre_page(("iqa", "admin")),
        )
    },
    # ------------------------------------------------ moderation: EQA access, notifications
    "moderation:grant_list": {
        "": Access(kwargs=centre_pk, get=centre_page(("admin",)), post=centre_page(("admin",)))
    },
    "moderation:grant_create": {
        "": Access(
            kwargs=centre_pk,
            get=centre_page(("admin",)),
            post=centre_page(("admin",)),
            data=grant_data,
            writers=("admin",),
        )
    },
    "moderation:grant_detail": {
        "": Access(
            kwargs=lambda s: {"pk": s.grant.pk},
            get=centre_page(("admin",)),
            post=centre_page(("admin",)),
        )
    },
    "moderation:grant_revoke": {
        "": Access(
            kwargs=lambda s: {"pk": s.grant.pk},
            get=post_only(),
            post=centre_page(("admin",)),
            writers=("admin",),
        )
    },
    "moderation:notification_open": {
        "": Access(
            kwargs=lambda s: {"pk": s.notification.pk},
            get=post_only(),
            post=row(HIDDEN, owner=OK),
            writers=("owner",),
        )
    },
    # ------------------------------------------------ checklists
    "checklist_enrolment": {
        "": Access(
            kwargs=lambda s: {"pk": s.enrolment.pk, "layout": "record"},
            get=PORTFOLIO_PAGE,
            post=everyone(METHOD),
        )
    },
    "checklist_enrolment_units": {
        "": Access(
            kwargs=lambda s: {"pk": s.enrolment.pk, "layout": "record"},
            get=PORTFOLIO_PAGE,
            post=everyone(METHOD),
        )
    },
    "checklist_enrolment_unit": {
        "": Access(
            kwargs=lambda s: {"pk": s.enrolment.pk, "slug": s.unit_a.slug, "layout": "record"},
            get=PORTFOLIO_PAGE,
            post=everyone(METHOD),
        )
    },
    "cohort_print_list": {
        "": Access(
            kwargs=centre_pk,
            get=centre_page(("admin",)),
            post=centre_page(("admin",)),
            data=lambda s: {"qualification": s.qualification.pk, "layout": "record"},
            writers=("admin",),
        )
    },
    "cohort_print_detail": {
        "": Access(
            kwargs=lambda s: {"pk": s.cohort_print.pk},
            get=centre_page(("admin",)),
            post=everyone(METHOD),
        )
    },
    "cohort_print_download": {
        "": Access(
            kwargs=lambda s: {"pk": s.cohort_print.pk},
            get=centre_page(("admin",)),
            post=everyone(METHOD),
        )
    },
    # ------------------------------------------------ centres
    "intake_upload": {
        "": Access(
            kwargs=centre,
            get=centre_page(("admin",)),
            post=centre_page(("admin",)),
            data=intake_data,
            writers=("admin",),
        )
    },
    # A learner's whole record as a package: the admins of her centre only; the export is
    # audited, so the admin's POST writes (an entry).
    "portable:export": {
        "": Access(
            kwargs=enrolment,
            get=post_only(anonymous=LOGIN),
            post=linked(("admin",)),
            writers=("admin",),
        )
    },
    # Bringing a package into the centre: its admins; a forged post (no package) is refused.
    "portable:import": {
        "": Access(
            kwargs=centre,
            get=centre_page(("admin",)),
            post=centre_page(("admin",), outcome=REFUSED),
        )
    },
    "intake_confirm": {
        "": Access(
            kwargs=lambda s: {"pk": s.centre.pk, "upload_pk": s.intake_upload.pk},
            get=post_only(anonymous=LOGIN),
            post=centre_page(("admin",)),
            writers=("admin",),
        ),
        # Centre B's admin naming centre A's upload under their own centre.
        "other_centre": Access(
            kwargs=lambda s: {"pk": s.other_centre.pk, "upload_pk": s.intake_upload.pk},
            get=post_only(anonymous=LOGIN),
            post=row(HIDDEN),
        ),
    },
    "version_move": {
        # The scenario has one version: the admin's forged move of alice to the version she is
        # on is refused (400) and changes nothing. Centre B's admin naming alice under centre
        # B's own page: tests/centres/test_version_move.py (centre B's page shows its learners).
        "": Access(
            kwargs=lambda s: {"pk": s.centre.pk, "qualification_pk": s.qualification.pk},
            get=centre_page(("admin",)),
            post=centre_page(("admin",), outcome=REFUSED),
            data=lambda s: {"to": s.qualification.pk, "enrolments": [s.enrolment.pk]},
        ),
    },
    "progress_export": {
        "": Access(
            kwargs=lambda s: {"pk": s.centre.pk, "fmt": "csv"},
            get=centre_page(("admin",)),
            post=centre_page(("admin",)),
        )
    },
    # ------------------------------------------------ accounts
    "role_dashboard": {
        "": Access(
            kwargs=lambda s: {"pk": s.owner_membership.pk},
            get=row(HIDDEN, owner=OK),
            post=row(HIDDEN, owner=OK),
        )
    },
    "centre_detail": {
        "": Access(kwargs=centre, get=centre_page(("admin",)), post=centre_page(("admin",)))
    },
    "centre_dashboard": {
        "": Access(kwargs=centre, get=centre_page(("admin",)), post=centre_page(("admin",)))
    },
    "centre_two_factor": {
        "": Access(
            kwargs=centre,
            get=post_only(anonymous=LOGIN),
            post=centre_page(("admin",)),
            data=lambda s: {"required": "on"},
            writers=("admin",),
        )
    },
    "person_add": {
        "": Access(
            kwargs=centre,
            get=centre_page(("admin",)),
            post=centre_page(("admin",)),
            data=person_data,
            writers=("admin",),
        )
    },
    "person_detail": {
        "": Access(
            kwargs=person("centre"), get=centre_page(("admin",)), post=centre_page(("admin",))
        ),
        # Centre B's admin naming centre A's learner under their own centre.
        "other_centre": Access(kwargs=person("other_centre"), get=row(HIDDEN), post=row(HIDDEN)),
    },
    "person_role_change": {
        "": Access(
            kwargs=person("centre"),
            get=post_only(anonymous=LOGIN),
            post=centre_page(("admin",)),
            data=lambda s: {"role": "admin", "action": "give"},
            writers=("admin",),
        ),
        "other_centre": Access(
            kwargs=person("other_centre"),
            get=post_only(anonymous=LOGIN),
            post=row(HIDDEN),
            data=lambda s: {"role": "admin", "action": "give"},
        ),
    },
    "person_deactivate": {
        "": Access(
            kwargs=person("centre"),
            get=post_only(anonymous=LOGIN),
            post=centre_page(("admin",)),
            writers=("admin",),
        ),
        "other_centre": Access(
            kwargs=person("other_centre"), get=post_only(anonymous=LOGIN), post=row(HIDDEN)
        ),
    },
}

# ---------------------------------------------------------------- what today's code gets wrong


@dataclass(frozen=True)
class KnownFailure:
    """Cells where today's code breaks the documented rule: each xfails, strictly, so that the
    fix makes this suite fail until the entry is removed."""

    reason: str
    cells: frozenset


def cells(cases, actors, methods=("GET", "POST")) -> frozenset:
    return frozenset(
        (case, actor, method) for case in cases for actor in actors for method in methods
    )


DRAFT_PAGES = [
    "evidence_detail[draft]",
    "evidence_update[draft]",
    "evidence_map[draft]",
    "evidence_submit[draft]",
]
DRAFT_FILES = ["evidence_file_download[draft]", "evidence_file_preview[draft]"]

# Cells whose expectation the product does not meet yet, each with the reason; they xfail
# strictly, so a fix fails the suite until its entry is taken out. None today.
KNOWN_FAILURES: list[KnownFailure] = []
KNOWN = {cell: known.reason for known in KNOWN_FAILURES for cell in known.cells}


# ---------------------------------------------------------------- running the matrix


def _case_id(name, variant):
    return f"{name}[{variant}]" if variant else name


CASES = [(name, variant) for name, variants in MATRIX.items() for variant in variants]


def _params():
    for name, variant in CASES:
        case = _case_id(name, variant)
        for actor in ACTORS:
            for method in ("GET", "POST"):
                reason = KNOWN.get((case, actor, method))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                yield pytest.param(
                    name, variant, actor, method, id=f"{case}-{actor}-{method}", marks=marks
                )


def _outcome(response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        login = resolve_url(settings.LOGIN_URL)
        return LOGIN if response["Location"].split("?")[0] == login else OK
    if 200 <= status < 300:
        return OK
    return {400: REFUSED, 403: DENIED, 404: HIDDEN, 405: METHOD}.get(status, f"status {status}")


def _body(response) -> bytes:
    """The whole body, with a ZIP's members unpacked and a PDF's text (whitespace removed)
    added, so that markers inside can be found."""
    content = (
        b"".join(response.streaming_content) if response.streaming else bytes(response.content)
    )
    if response.get("Content-Type") == "application/zip":
        with zipfile.ZipFile(io.BytesIO(content)) as bundle:
            content += b"".join(bundle.read(name) for name in bundle.namelist())
    if response.get("Content-Type") == "application/pdf":
        content += pdf_text(content).encode()
    return content


def _shows(body: bytes, marker: str) -> bool:
    return marker.encode() in body or "".join(marker.split()).encode() in body


def _markers(actor) -> list[str]:
    markers = list(OTHER_CENTRE_MARKERS)
    if actor in UNLINKED:
        markers.append(OWNER_MARKER)
    if actor in NOT_FOR_DRAFTS:
        markers.append(DRAFT_MARKER)
    if actor == "eqa_unit":
        markers.append(UNIT_B_MARKER)
    return markers


def _changed(before, after) -> list[str]:
    return sorted(
        label for label in before.keys() | after.keys() if before.get(label) != after.get(label)
    )


@pytest.fixture(scope="module")
def scenario(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction that is rolled back at the end. Safe to
    share: every request below runs in a savepoint that is rolled back too."""
    with (
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build_scenario()
        transaction.set_rollback(True)


@pytest.mark.parametrize(("name", "variant", "actor", "method"), list(_params()))
def test_access(scenario, name, variant, actor, method):
    access = MATRIX[name][variant]
    expected = (access.get if method == "GET" else access.post)[actor]
    url = reverse(name, kwargs=access.kwargs(scenario)) + access.query(scenario)
    client = Client(raise_request_exception=False)
    with transaction.atomic():
        if scenario.actors[actor] is not None:
            client.force_login(scenario.actors[actor])
        before, logged = snapshot(), access_log_count()
        data = access.data(scenario) if method == "POST" else None
        response = client.get(url) if data is None else client.post(url, data)
        body = _body(response)
        changed = _changed(before, snapshot())
        logged = access_log_count() - logged
        transaction.set_rollback(True)

    cell = f"{method} {url} as {actor}"
    got = _outcome(response)
    assert got == expected, f"{cell}: {response.status_code}"
    if method == "GET" and got == OK:
        assert [m for m in _markers(actor) if _shows(body, m)] == [], f"{cell} shows them"
        if actor in EXTERNAL and name not in CATALOGUE_URLS + PUBLIC_URLS:
            assert logged == 1, f"{cell} is not in the access log"
    if method == "GET" or actor not in access.writers:
        assert changed == [], f"{cell} changed rows"


# ---------------------------------------------------------------- the matrix grows with the URLs


def _patterns_with_arguments(patterns=None, namespace=None, prefix="", converters=None):
    """(name, namespace, route) of every URL pattern that takes an argument."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        inner = {**(converters or {}), **getattr(pattern.pattern, "converters", {})}
        if isinstance(pattern, URLResolver):
            space = pattern.namespace or namespace
            if pattern.namespace and namespace:
                space = f"{namespace}:{pattern.namespace}"
            yield from _patterns_with_arguments(pattern.url_patterns, space, route, inner)
        elif isinstance(pattern, URLPattern) and (inner or pattern.pattern.regex.groupindex):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name, namespace, route


def test_every_url_with_an_argument_is_in_the_matrix():
    missing, unnamed = [], []
    found = set()
    for name, namespace, route in _patterns_with_arguments():
        top = (namespace or "").split(":")[0]
        if top in SKIPPED_NAMESPACES:
            continue
        if name is None:
            unnamed.append(route)
            continue
        found.add(name)
        if name not in MATRIX and name not in SKIPPED:
            missing.append(f"{name} ({route})")
    assert not unnamed, f"URL patterns without a name cannot be in the matrix: {unnamed}"
    assert not missing, (
        "URLs with an argument but no row in tests/test_access_matrix.py MATRIX; add who may "
        f"use them: {sorted(missing)}"
    )
    assert sorted(set(MATRIX) - found) == [], "MATRIX rows for URLs that no longer exist"


def test_known_failures_name_cells_of_the_matrix():
    cases = {_case_id(name, variant) for name, variant in CASES}
    assert (
        sorted(
            cell
            for cell in KNOWN
            if cell[0] not in cases or cell[1] not in ACTORS or cell[2] not in ("GET", "POST")
        )
        == []
    )
