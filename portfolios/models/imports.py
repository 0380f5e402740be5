"""Portfolios that arrived from another installation or centre, and where they came from.

An imported portfolio keeps its history as it was written there: each evidence item,
decision and sign-off that arrived points at its `PortfolioImport` (`imported_from`), which
says which centre sent it, when it was exported, the package's SHA-256 and the sending
installation's audit chain head. Who decided and when are the rows' own fields (the people
are accounts kept for the record only: inactive, no password, no role). What "imported"
means for the record (read-only) is said once, in `portfolios.state`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.models import AppendOnlyModel
from portfolios.models.enrolment import Enrolment


class PortfolioImport(AppendOnlyModel):
    """One package brought in: the enrolment it made, and its provenance."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.PROTECT, related_name="imported_from"
    )
    source_installation = models.CharField(max_length=200, blank=True)
    source_centre_number = models.CharField(max_length=40)
    source_centre_name = models.CharField(max_length=200)
    source_enrolment_id = models.PositiveBigIntegerField()
    exported_at = models.DateTimeField()
    package_sha256 = models.CharField("package SHA-256", max_length=64)
    chain_head_seq = models.PositiveBigIntegerField("sending chain's last entry")
    chain_head_hash = models.CharField("sending chain's head", max_length=64)
    # Blank: brought in from the command line.
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now, editable=False)
    # {"evidence": n, "files": n, "decisions": n, "sign_offs": n, "samples": n, ...}
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "imported portfolio"
        ordering = ["-imported_at", "-pk"]

    def __str__(self):
        return (
            f"Imported from {self.source_centre_name} ({self.source_centre_number}) "
            f"{self.imported_at:%d %b %Y}"
        )

    @property
    def source_label(self) -> str:
        return f"{self.source_centre_name} ({self.source_centre_number})"
