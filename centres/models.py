import hashlib

from django.conf import settings
from django.db import models

from accounts.models import Centre


class IntakeUpload(models.Model):
    """A class list as uploaded, kept so that what is confirmed is exactly what was previewed."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="intake_uploads")
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.file_name} ({self.centre.name}, {self.uploaded_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        self.sha256 = hashlib.sha256(bytes(self.content)).hexdigest()
        super().save(*args, **kwargs)
