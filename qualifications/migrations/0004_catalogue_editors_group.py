from django.db import migrations

EDITOR_GROUP = "Catalogue editors"


def add_group(apps, schema_editor):
    """The group staff put catalogue editors in, holding the permission to change the shared
    catalogue (the permission itself is declared on Qualification; it is made here too, since
    Django makes permissions only after every migration has run)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="qualifications", model="qualification"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="edit_shared_catalogue",
        defaults={"name": "Can change the shared catalogue"},
    )
    group, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITOR_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("qualifications", "0003_versions_ownership_rules_grades"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_group, remove_group)]
