"""Each resource of the API for each role: what it answers (exact values), what it refuses
(403 with a link, 404 without), what it never shows (another centre's learner, a tutor's
other learners, a draft to an external moderator), and that writes go through the services
(their audit entries, their checks, nothing saved when refused)."""

import datetime
import json

import pytest
from django.utils import timezone

from accounts.enums import Role, TokenScope
from accounts.services import role_take
from audit.enums import AuditAction
from audit.models import AccessLogEntry, AuditEntry
from centres.exports import EXPORT_HEADERS, progress_export, progress_rows
from moderation import services as moderation_services
from portfolios.models import CriterionDecision, Evidence, EvidenceFile
from qualifications.models import Qualification
from tests.api.conftest import OTHER_CENTRE_NAME, criteria
from tests.factories import MembershipFactory, UserFactory
from tests.portfolios.helpers import minimal_pdf, png_bytes, upload


def _grant(centre, admin, moderator, **opened):
    now = timezone.now()
    return moderation_services.grant_create(
        centre=centre,
        by=admin,
        moderator=moderator,
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=7),
        **opened,
    )


def _names(response) -> list[str]:
    return [row["learner"]["name"] for row in response.json()["items"]]


# ---------------------------------------------------------------- catalogue


def test_catalogue_lists_the_shared_and_own_qualifications_only(
    api, learner, outsider, catalogue, centre, other_centre
):
    body = catalogue.qualification.awarding_body
    own = Qualification.objects.create(
        number="IH/0002", title="Beta in-house award", awarding_body=body, centre=other_centre
    )
    mine = api(learner).get("/catalogue/qualifications").json()
    assert mine == {
        "items": [
            {
                "id": catalogue.qualification.pk,
                "number": "600/0001/1",
                "version": 1,
                "title": "Level 2 Diploma in Testing",
                "awarding_body": "TAB",
                "level": 2,
                "min_credits": None,
                "own_centre_id": None,
                "unit_count": 2,
            }
        ],
        "count": 1,
    }
    assert api(learner).get(f"/catalogue/qualifications/{own.pk}").status_code == 404
    theirs = api(outsider).get("/catalogue/qualifications").json()
    assert [q["number"] for q in theirs["items"]] == ["600/0001/1", "IH/0002"]
    assert api(outsider).get(f"/catalogue/qualifications/{own.pk}").status_code == 200


def test_catalogue_unit_with_outcomes_and_criteria(api, learner, catalogue):
    response = api(learner).get(f"/catalogue/units/{catalogue.unit_b.slug}")
    body = response.json()
    assert (body["code"], body["title"]) == ("A/100/0002", "Communicate with customers")
    assert [(o["number"], [c["number"] for c in o["criteria"]]) for o in body["outcomes"]] == [
        ("1", ["1.1", "1.2"])
    ]
    qualification = api(learner).get(f"/catalogue/qualifications/{catalogue.qualification.pk}")
    assert [(u["code"], u["group"], u["mandatory"]) for u in qualification.json()["units"]] == [
        ("A/100/0001", "Mandatory units", True),
        ("A/100/0002", "Mandatory units", True),
    ]
    assert api(learner).get("/catalogue/units/no-such-unit").status_code == 404


def test_anonymous_gets_nothing_but_the_schema(client, record, centre):
    for path in ("/me", "/catalogue/qualifications", f"/enrolments/{record.pk}"):
        assert client.get(f"/api{path}").status_code == 401
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    assert "/api/enrolments/{pk}/evidence" in schema.json()["paths"]
    assert schema.json()["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    json.loads(schema.content, object_pairs_hook=_no_repeated_keys)


def _no_repeated_keys(pairs):
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), f"a key twice in the OpenAPI document: {keys}"
    return dict(pairs)


# ---------------------------------------------------------------- enrolments


@pytest.fixture
def both(record, dora_enrolment):
    return record, dora_enrolment


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("learner", ["Alice Alicefield"]),
        ("tutor", ["Alice Alicefield"]),
        ("second_tutor", ["Dora Second"]),
        ("internal_moderator", ["Alice Alicefield", "Dora Second"]),
        ("centre_admin", ["Alice Alicefield", "Dora Second"]),
    ],
)
def test_enrolment_list_is_what_the_page_lists(api, both, centre, request, who, names):
    response = api(request.getfixturevalue(who)).get(f"/centres/{centre.pk}/enrolments")
    assert response.status_code == 200
    assert _names(response) == names
    assert response.json()["count"] == len(names)


def test_enrolment_list_refuses_external_moderators_and_hides_other_centres(
    api, both, centre, external_moderator, outsider, zeb_enrolment, other_centre
):
    assert api(external_moderator).get(f"/centres/{centre.pk}/enrolments").status_code == 403
    hidden = api(outsider).get(f"/centres/{centre.pk}/enrolments")
    assert hidden.status_code == 404
    assert "Alice" not in hidden.content.decode()
    assert _names(api(outsider).get(f"/centres/{other_centre.pk}/enrolments")) == [
        f"Zebedee {OTHER_CENTRE_NAME}"
    ]


def test_enrolment_progress_matches_the_record(api, record, learner, catalogue):
    body = api(learner).get(f"/enrolments/{record.pk}").json()
    progress = body["progress"]
    assert (progress["criteria_met"], progress["criteria_total"], progress["percent"]) == (4, 6, 66)
    assert (progress["units_signed"], progress["units_total"]) == (1, 2)
    assert progress["evidence_waiting"] == 0
    assert [
        (u["code"], u["criteria_met"], u["criteria_total"], u["percent"], u["signed_off"])
        for u in body["units"]
    ] == [("A/100/0001", 4, 4, 100, True), ("A/100/0002", 0, 2, 0, False)]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("learner", 200),
        ("tutor", 200),
        ("internal_moderator", 200),
        ("centre_admin", 200),
        ("external_moderator", 404),  # no grant yet
        ("second_tutor", 404),
        ("outsider", 404),
    ],
)
def test_enrolment_detail_by_role(api, record, request, who, status):
    response = api(request.getfixturevalue(who)).get(f"/enrolments/{record.pk}")
    assert response.status_code == status
    assert ("Alicefield" in response.content.decode()) is (status == 200)


def test_a_tutor_token_never_sees_another_tutor_s_learner(api, both, tutor, second_tutor):
    alice, dora = both
    assert api(tutor).get(f"/enrolments/{dora.pk}").status_code == 404
    assert api(tutor).get(f"/enrolments/{dora.pk}/evidence").status_code == 404
    assert api(tutor).get(f"/enrolments/{dora.pk}/decisions").status_code == 404
    assert api(second_tutor).get(f"/enrolments/{alice.pk}/sign-offs").status_code == 404


# ---------------------------------------------------------------- evidence


def test_evidence_list_shows_drafts_only_to_the_learner_s_side(
    api, record, learner, external_moderator, centre, centre_admin
):
    path = f"/enrolments/{record.pk}/evidence"
    titles = [e["title"] for e in api(learner).get(path).json()["items"]]
    assert titles == ["Complaint log", "Unsubmitted musings"]
    states = [e["state"] for e in api(learner).get(path).json()["items"]]
    assert states == ["assessed", "draft"]
    _grant(centre, centre_admin, external_moderator, enrolments=[record])
    before = AccessLogEntry.objects.count()
    seen = api(external_moderator).get(path)
    assert [e["title"] for e in seen.json()["items"]] == ["Complaint log"]
    assert "Unsubmitted musings" not in seen.content.decode()
    # What an external moderator opens is logged by the access helpers, as from the pages.
    assert AccessLogEntry.objects.count() == before + 1


def test_evidence_detail_and_drafts(api, record, learner, draft, evidence, external_moderator):
    body = api(learner).get(f"/evidence/{draft.pk}").json()
    assert (body["reference"], body["state"], body["title"]) == ("E002", "draft", draft.title)
    item = api(learner).get(f"/evidence/{evidence.pk}").json()
    assert [f["name"] for f in item["files"]] == ["Complaint log.pdf"]
    assert item["files"][0]["content_type"] == "application/pdf"
    assert len(item["criteria"]) == 5
    assert api(external_moderator).get(f"/evidence/{draft.pk}").status_code == 404


def _new_item(**overrides):
    return {
        "title": "Till reconciliation",
        "method": "reflective-account",
        "date": "2026-03-01",
        "text": "I balanced the till.",
        **overrides,
    }


def test_learner_adds_evidence_with_files_through_the_service(api, record, learner, catalogue):
    client = api(learner, TokenScope.WRITE)
    response = client.post(
        f"/enrolments/{record.pk}/evidence",
        {
            **_new_item(criteria=[c.pk for c in criteria(catalogue.unit_b)]),
            "files": [upload("till.pdf", minimal_pdf("Till")), upload("till.png", png_bytes())],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["reference"], body["state"]) == ("E003", "draft")
    assert sorted(f["content_type"] for f in body["files"]) == ["application/pdf", "image/png"]
    assert body["criteria"] == [c.pk for c in criteria(catalogue.unit_b)]
    entry = AuditEntry.objects.filter(action=AuditAction.EVIDENCE_CREATED).latest("seq")
    assert (entry.actor, entry.object_id) == (learner, body["id"])
    more = client.post(f"/evidence/{body['id']}/files", {"files": [upload("b.png", png_bytes())]})
    assert more.status_code == 201
    assert len(more.json()["files"]) == 3


def test_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_saved(api, record, learner):
    count, files = Evidence.objects.count(), EvidenceFile.objects.count()
    response = api(learner, TokenScope.WRITE).post(
        f"/enrolments/{record.pk}/evidence",
        {**_new_item(), "files": [upload("report.pdf", b"MZ\x90\x00 not a pdf at all")]},
    )
    assert response.status_code == 400
    assert "report.pdf" in response.json()["detail"]
    assert (Evidence.objects.count(), EvidenceFile.objects.count()) == (count, files)


def test_evidence_writes_are_refused_by_role_and_by_scope(
    api, record, learner, centre_admin, second_tutor, evidence
):
    count = Evidence.objects.count()
    path = f"/enrolments/{record.pk}/evidence"
    read_only = api(learner).post(path, _new_item())
    assert read_only.status_code == 403
    assert "read-only" in read_only.json()["detail"]
    assert api(centre_admin, TokenScope.WRITE).post(path, _new_item()).status_code == 403
    assert api(second_tutor, TokenScope.WRITE).post(path, _new_item()).status_code == 404
    # A submitted item takes no more files.
    submitted = api(learner, TokenScope.WRITE).post(
        f"/evidence/{evidence.pk}/files", {"files": [upload("x.png", png_bytes())]}
    )
    assert submitted.status_code == 403
    no_method = api(learner, TokenScope.WRITE).post(path, _new_item(method="telepathy"))
    assert no_method.status_code == 400
    assert Evidence.objects.count() == count


# ---------------------------------------------------------------- decisions and sign-offs


def test_decisions_and_sign_offs_read_by_the_record_s_viewers(
    api, record, learner, internal_moderator, catalogue, tutor
):
    decisions = api(learner).get(f"/enrolments/{record.pk}/decisions").json()
    assert decisions["count"] == 4
    rows = {(d["criterion"], d["outcome"], d["met"], d["standing"]) for d in decisions["items"]}
    assert rows == {(c.number, "met", True, True) for c in criteria(catalogue.unit_a)}
    sign_offs = api(internal_moderator).get(f"/enrolments/{record.pk}/sign-offs").json()
    assert [(s["unit_id"], s["signature_name"], s["standing"]) for s in sign_offs["items"]] == [
        (catalogue.unit_a.pk, "Bob Bobfield", True)
    ]


def test_a_unit_grant_opens_only_that_unit_s_decisions(
    api, record, catalogue, centre, centre_admin, external_moderator, tutor, evidence
):
    b1 = criteria(catalogue.unit_b)[0]
    moderation_services.criteria_decide(
        enrolment=record,
        by=tutor,
        decided_on=timezone.localdate(),
        requests=[moderation_services.DecisionRequest(b1.pk, "not_yet_met", "Unit-B remark")],
    )
    _grant(centre, centre_admin, external_moderator, units=[catalogue.unit_b])
    client = api(external_moderator)
    seen = client.get(f"/enrolments/{record.pk}/decisions")
    assert [d["criterion"] for d in seen.json()["items"]] == ["1.1"]
    assert seen.json()["items"][0]["unit_id"] == catalogue.unit_b.pk
    assert client.get(f"/enrolments/{record.pk}/sign-offs").json()["items"] == []
    # The portfolio as a whole stays closed to a unit grant, as on the pages.
    assert client.get(f"/enrolments/{record.pk}").status_code == 404


def test_the_tutor_records_decisions_through_the_service(api, record, tutor, catalogue, evidence):
    b1 = criteria(catalogue.unit_b)[0]
    response = api(tutor, TokenScope.WRITE).post_json(
        f"/enrolments/{record.pk}/decisions",
        {
            "decided_on": timezone.localdate().isoformat(),
            "decisions": [{"criterion": b1.pk, "outcome": "met", "seen": None}],
        },
    )
    assert response.status_code == 201, response.content
    (row,) = response.json()
    assert (row["criterion_id"], row["outcome"], row["met"], row["decided_by"]) == (
        b1.pk,
        "met",
        True,
        "Bob Bobfield",
    )
    assert row["evidence"] == [evidence.pk]
    entry = AuditEntry.objects.filter(action=AuditAction.DECISION).latest("seq")
    assert (entry.actor, entry.object_id) == (tutor, row["id"])


def test_decisions_refused_change_nothing(
    api, record, tutor, learner, second_tutor, catalogue, evidence
):
    b1, b2 = criteria(catalogue.unit_b)
    a1 = criteria(catalogue.unit_a)[0]
    path = f"/enrolments/{record.pk}/decisions"
    today = timezone.localdate().isoformat()
    count = CriterionDecision.objects.count()

    def decide(client, items):
        return client.post_json(path, {"decided_on": today, "decisions": items})

    writer = api(tutor, TokenScope.WRITE)
    # Met needs evidence mapped to it: b2 has only a draft.
    refused = decide(writer, [{"criterion": b2.pk, "outcome": "met"}])
    assert refused.status_code == 400
    assert "met needs at least one submitted evidence" in refused.json()["detail"]
    # A decision was recorded on a1 since "seen" (none): nothing saved, 409.
    stale = decide(writer, [{"criterion": a1.pk, "outcome": "met", "seen": None}])
    assert stale.status_code == 409
    assert api(tutor).post_json(path, {"decided_on": today, "decisions": []}).status_code == 422
    read_only = decide(api(tutor), [{"criterion": b1.pk, "outcome": "met"}])
    assert read_only.status_code == 403
    learner_try = decide(api(learner, TokenScope.WRITE), [{"criterion": b1.pk, "outcome": "met"}])
    assert learner_try.status_code == 403
    other = decide(api(second_tutor, TokenScope.WRITE), [{"criterion": b1.pk, "outcome": "met"}])
    assert other.status_code == 404
    assert CriterionDecision.objects.count() == count


# ---------------------------------------------------------------- progress export


def test_progress_export_is_the_centre_s_export(api, record, centre, centre_admin):
    admin = api(centre_admin)
    body = admin.get(f"/centres/{centre.pk}/progress").json()
    assert body["headers"] == EXPORT_HEADERS
    expected = [dict(zip(EXPORT_HEADERS, r, strict=True)) for r in progress_rows(centre)]
    assert body["rows"] == expected
    assert [(r["unit"], r["criteria_met"], r["sign_off"][:6]) for r in body["rows"]] == [
        ("A/100/0001", 4, "signed"),
        ("A/100/0002", 0, "not si"),
    ]
    csv = admin.get(f"/centres/{centre.pk}/progress.csv")
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.streaming
    assert b"".join(csv.streaming_content).decode() == "".join(
        progress_export(centre, "csv").content
    )
    assert csv["X-Audit-Chain-Head"] == body["audit_chain_head"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("learner", 403),
        ("tutor", 403),
        ("internal_moderator", 403),
        ("external_moderator", 403),
        ("outsider", 404),
    ],
)
def test_progress_export_is_for_the_centre_s_admins(api, record, centre, request, who, status):
    for suffix in ("progress", "progress.csv"):
        response = api(request.getfixturevalue(who)).get(f"/centres/{centre.pk}/{suffix}")
        assert response.status_code == status
        assert "Alicefield" not in response.content.decode()


def test_a_token_never_sees_more_than_its_owner_after_a_role_is_taken(api, record, centre, tutor):
    client = api(tutor)
    assert client.get(f"/enrolments/{record.pk}").status_code == 200
    role_take(centre=centre, person=tutor, role=Role.TUTOR, by=None)
    assert api(tutor).get(f"/enrolments/{record.pk}").status_code == 404
    assert client.get(f"/enrolments/{record.pk}").status_code == 404


def test_a_person_with_a_role_at_two_centres_sees_each_centre_s_own(
    api, record, zeb_enrolment, other_centre, centre
):
    both = UserFactory(username="wyn", first_name="Wyn", last_name="Twice")
    MembershipFactory(user=both, centre=centre, role=Role.CENTRE_ADMIN)
    client = api(both)
    assert client.get(f"/centres/{other_centre.pk}/enrolments").status_code == 404
    assert client.get(f"/enrolments/{zeb_enrolment.pk}").status_code == 404
    assert _names(client.get(f"/centres/{centre.pk}/enrolments")) == ["Alice Alicefield"]


def test_file_download_as_the_pages_allow(
    api, record, learner, evidence, draft, centre, centre_admin, external_moderator, outsider
):
    stored = evidence.files.get()
    response = api(learner).get(f"/files/{stored.pk}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored.file.open("rb").read()
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="Complaint log.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    draft_file = draft.files.get()
    _grant(centre, centre_admin, external_moderator, enrolments=[record])
    moderator = api(external_moderator)
    assert moderator.get(f"/files/{draft_file.pk}").status_code == 404
    before = AccessLogEntry.objects.count()
    assert moderator.get(f"/files/{stored.pk}").status_code == 200
    assert AccessLogEntry.objects.count() == before + 1
    assert api(outsider).get(f"/files/{stored.pk}").status_code == 404
