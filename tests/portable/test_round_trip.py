"""The round trip between two databases: a portfolio exported from the test database imports
identically into a second installation (its own SQLite database and its own storage, set up
with `migrate`), and that installation's own export of it says the same thing, row for row.

The second installation is driven only through its management commands, in a process of its
own, as a receiving centre would: `migrate`, `import_qualification` (the catalogue, exported
here with `export_qualification`), `import_portfolio`, `export_portfolio`, `verify_audit`.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.portable.conftest import manifest_of, package_of, parts_of

pytestmark = pytest.mark.django_db

SETUP_RECEIVING_CENTRE = """
from django.db import transaction
from accounts.models import Centre, User
from accounts.services import role_give
with transaction.atomic():
    centre = Centre.objects.create(name="Gamma Academy", centre_number="G0003")
    tina = User.objects.create(username="tina", first_name="Tina", last_name="Receiver")
    role_give(centre=centre, person=tina, role="tutor", by=None)
"""


def _manage(env, *args) -> str:
    done = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _normalised(manifest: dict) -> dict:
    """The record in the manifest with every id of either installation replaced by what it
    stands for (a person's name, a unit's code and version, an item's reference)."""
    people = {p["id"]: p["name"] for p in manifest["people"]}
    people[manifest["learner"]["id"]] = manifest["learner"]["name"]
    units = {u["id"]: (u["code"], u["version"]) for u in manifest["units"]}
    criteria = {c["id"]: (u["code"], c["number"]) for u in manifest["units"] for c in u["criteria"]}
    methods = {m["id"]: m["slug"] for m in manifest["methods"]}
    references = {e["id"]: e["reference"] for e in manifest["evidence"]}
    decisions = {d["id"]: n for n, d in enumerate(manifest["decisions"])}
    sign_offs = {s["id"]: n for n, s in enumerate(manifest["sign_offs"])}
    reopenings = {r["id"]: n for n, r in enumerate(manifest["reopenings"])}
    person, unit = people.get, units.get
    e = manifest["enrolment"]
    return {
        "learner": {
            k: manifest["learner"][k] for k in ("name", "first_name", "last_name", "email")
        },
        "qualification": {k: manifest["qualification"][k] for k in ("number", "version", "title")},
        "enrolment": {
            **{k: e[k] for k in ("registration_number", "start_date", "planned_end_date")},
            "status": e["status"],
            "last_evidence_number": e["last_evidence_number"],
            "units": [
                (unit(r["unit"]), r["position"], r["withdrawn_at"], person(r["withdrawn_by"]))
                for r in e["units"]
            ],
        },
        "evidence": [
            {
                **{
                    k: item[k]
                    for k in (
                        "number",
                        "reference",
                        "title",
                        "description",
                        "date",
                        "text",
                        "workplace_location",
                        "created_at",
                        "submitted_at",
                        "declaration",
                        "assessed_at",
                    )
                },
                "method": methods[item["method"]],
                "supersedes": references.get(item["supersedes"]),
                "created_by": person(item["created_by"]),
                "submitted_by": person(item["submitted_by"]),
                "criteria": sorted(criteria[c] for c in item["criteria"]),
                "files": [
                    (f["name"], f["size"], f["sha256"], f["content_type"], person(f["uploaded_by"]))
                    for f in item["files"]
                ],
            }
            for item in manifest["evidence"]
        ],
        "decisions": [
            {
                "criterion": criteria[d["criterion"]],
                **{k: d[k] for k in ("outcome", "decided_on", "feedback", "decided_at")},
                "decided_by": person(d["decided_by"]),
                "supersedes": decisions.get(d["supersedes"]),
                "carried_from": decisions.get(d["carried_from"]),
                "evidence": sorted(references[x] for x in d["evidence"]),
            }
            for d in manifest["decisions"]
        ],
        "sign_offs": [
            {
                "unit": unit(s["unit"]),
                **{k: s[k] for k in ("signature_name", "signed_at", "comments")},
                "signed_by": person(s["signed_by"]),
                "supersedes": sign_offs.get(s["supersedes"]),
                "acknowledgement": s["acknowledgement"]
                and {
                    "learner": person(s["acknowledgement"]["learner"]),
                    "comment": s["acknowledgement"]["comment"],
                    "acknowledged_at": s["acknowledgement"]["acknowledged_at"],
                },
            }
            for s in manifest["sign_offs"]
        ],
        "reopenings": [
            {
                "unit": unit(r["unit"]),
                "sign_off": sign_offs.get(r["sign_off"]),
                "decisions": sorted(decisions[d] for d in r["decisions"]),
                "reason": r["reason"],
                "opened_by": person(r["opened_by"]),
                "opened_at": r["opened_at"],
                "closure": r["closure"]
                and (person(r["closure"]["closed_by"]), r["closure"]["closed_at"]),
            }
            for r in manifest["reopenings"]
        ],
        "samples": [
            {
                "unit": unit(s["unit"]),
                "kind": s["kind"],
                "opened_by": person(s["opened_by"]),
                "opened_at": s["opened_at"],
                "decisions": [
                    {
                        **{
                            k: d[k]
                            for k in (
                                "stage",
                                "outcome",
                                "comments",
                                "required_actions",
                                "signature_name",
                                "signed_at",
                            )
                        },
                        "sign_off": sign_offs.get(d["sign_off"]),
                        "decided_by": person(d["decided_by"]),
                        "reopening": reopenings.get(d["reopening"]),
                    }
                    for d in s["decisions"]
                ],
            }
            for s in manifest["samples"]
        ],
        "progress": [
            (unit(p["unit"]), p["criteria"], p["met"], p["locked"])
            for p in manifest["progress"]["units"]
        ],
    }


def _evidence_bytes(package: bytes) -> dict:
    manifest, parts = manifest_of(package), parts_of(package)
    return {
        (item["reference"], f["name"]): parts[f["path"]]
        for item in manifest["evidence"]
        for f in item["files"]
    }


def test_round_trip_between_two_databases(portfolio, catalogue, tmp_path):
    here = package_of(portfolio.enrolment)
    (tmp_path / "portfolio.zip").write_bytes(here)
    call_command(
        "export_qualification",
        catalogue.qualification.number,
        output=str(tmp_path / "qualification.json"),
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "elsewhere-media"),
        "DEBUG": "1",
    }
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(env, "import_qualification", str(tmp_path / "qualification.json"))
    _manage(env, "shell", "-c", SETUP_RECEIVING_CENTRE)
    said = _manage(env, "import_portfolio", str(tmp_path / "portfolio.zip"), "--centre", "G0003")
    assert said.startswith(
        "Imported the portfolio of Alice Alicefield from Alpha College (A0001) as enrolment "
    )
    enrolment_id = said.split("as enrolment ")[1].split()[0]
    _manage(env, "export_portfolio", enrolment_id, str(tmp_path / "again.zip"))
    verified = _manage(env, "verify_audit")

    there = (tmp_path / "again.zip").read_bytes()
    assert _normalised(manifest_of(there)) == _normalised(manifest_of(here))
    assert _evidence_bytes(there) == _evidence_bytes(here)
    # Where it came from travels with it, and the receiving trail holds.
    again = manifest_of(there)
    assert again["source"]["centre"]["number"] == "G0003"
    assert {e["imported_from"] for e in again["evidence"]} == {1}
    assert {d["imported_from"] for d in again["decisions"]} == {1}
    assert {s["imported_from"] for s in again["sign_offs"]} == {1}
    imported = [e for e in again["audit"]["entries"] if e["action"] == "portfolio_imported"]
    assert len(imported) == 1
    assert imported[0]["summary"].endswith(
        f"imported from centre Alpha College (A0001), package sha256 "
        f"{hashlib.sha256(here).hexdigest()}"
    )
    # Every row the import wrote has its entry in the receiving trail.
    assert verified.startswith("Audit trail intact: "), verified
    with zipfile.ZipFile(io.BytesIO(there)) as archive:
        assert archive.read("checklist.pdf").startswith(b"%PDF")
    assert json.loads(parts_of(there)["manifest.json"])["progress"]["units"][0]["met"] == 4
