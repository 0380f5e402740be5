from django.db import migrations

from qualifications.enums import STANDARD_EVIDENCE_METHODS


def add_methods(apps, schema_editor):
    EvidenceMethod = apps.get_model("qualifications", "EvidenceMethod")
    for position, (slug, name) in enumerate(STANDARD_EVIDENCE_METHODS):
        EvidenceMethod.objects.update_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("qualifications", "0001_initial")]

    operations = [migrations.RunPython(add_methods, migrations.RunPython.noop)]
