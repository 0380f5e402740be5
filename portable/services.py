"""Exporting a learner's record as a package, and bringing one into this installation.

The import is one transaction: every row it writes has its audit entry (written in bulk,
`audit.chain.audit_records`), and one entry says where the portfolio came from and the
package's SHA-256. Evidence files are copied to storage before the transaction opens and
deleted again if anything fails, so a refused or failed import leaves nothing behind.

Who is who in the receiving installation:
- the learner is the learner of the receiving centre with the package's e-mail address, or,
  when the centre has none, a new account with no password (the centre admin sends the
  sign-in link as for any new person); an account at another centre is never matched, as
  centres are sealed from each other;
- the tutor is chosen by the receiving centre;
- everyone else who acted on the record there (tutors who decided and signed, moderators) is
  an account kept for the record only, named as they were: inactive, no password, no role.
  They are never matched to an account here, so a package cannot lend its decisions to a
  person of this installation.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.enums import Role
from accounts.models import Centre, User
from accounts.permissions import has_role
from audit.chain import audit_record
from audit.enums import AuditAction
from portable import export
from portable.package import Package
from portable.plan import import_plan
from portable.writer import RecordWriter
from portfolios.models import Enrolment, PortfolioImport
from portfolios.uploads import delete_stored

# ---------------------------------------------------------------- export


def portfolio_export(*, enrolment: Enrolment, by: User | None, target) -> dict:
    """Write the learner's package to the binary file `target` and record that it left."""
    manifest = export.write_package(enrolment, target)
    with transaction.atomic():
        audit_record(
            action=AuditAction.PORTFOLIO_EXPORTED,
            actor=by,
            enrolment=enrolment,
            summary=f"Portfolio of {enrolment.learner} exported as a package",
            data={
                "evidence": len(manifest["evidence"]),
                "decisions": len(manifest["decisions"]),
                "chain_head": manifest["audit"]["chain_head"],
            },
        )
    return manifest


def package_filename(enrolment: Enrolment) -> str:
    name = slugify(f"{enrolment.learner} {enrolment.programme_label}")[:80] or "portfolio"
    return f"portfolio-{name}.zip"


def portfolio_import(
    *, package: Package, centre: Centre, tutor: User, by: User | None
) -> PortfolioImport:
    """Bring the checked package into `centre`, all of it or nothing (ValidationError naming
    each problem)."""
    plan = import_plan(package=package, centre=centre)
    if not has_role(tutor, centre, Role.TUTOR):
        plan.problems.append(f"{tutor} is not a tutor at {centre.name}.")
    if plan.problems:
        raise ValidationError(plan.problems)
    writer = RecordWriter(plan, tutor=tutor, by=by)
    try:
        stored = writer.store_files(package)
        with transaction.atomic():
            writer.write_people()
            writer.write_enrolment()
            writer.write_import(plan.counts)
            writer.write_evidence(stored)
            writer.write_assessment()
            writer.write_moderation()
            writer.write_audit()
    except BaseException:
        delete_stored(writer.stored)
        raise
    return writer.portfolio_import
