# The next-step rules move from the directory app to the fit finder's own: the table and its rows stay,
# renamed from directory_nextsteprule to finder_nextsteprule.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("directory", "0006_license_provider_verified"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="NextStepRule",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("after_any_therapy", models.BooleanField(default=False, help_text="Applies only when the person tried at least one psychotherapy.")),
                        ("after_medication", models.BooleanField(default=False, help_text="Applies only when the person tried medication.")),
                        ("even_if_tried", models.BooleanField(default=False, help_text="Suggest it even when the person tried it (e.g. a medication review).")),
                        ("why", models.CharField(help_text="One plain-language line shown with the suggestion.", max_length=300)),
                        ("position", models.PositiveSmallIntegerField(default=0)),
                        ("after", models.ForeignKey(blank=True, help_text="Applies when the person tried this approach. Empty: see the two boxes below.", null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="directory.modality")),
                        ("condition", models.ForeignKey(blank=True, help_text="Applies when the person names this concern (or a narrower one). Empty: any concern.", null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="directory.condition")),
                        ("suggest", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="directory.modality")),
                    ],
                    options={
                        "verbose_name": "next step rule",
                        "ordering": ["position", "id"],
                        "db_table": "directory_nextsteprule",
                        "constraints": [models.CheckConstraint(condition=models.Q(("after__isnull", True), ("after_any_therapy", False), ("after_medication", False), _negated=True), name="nextsteprule_has_a_trigger", violation_error_message="Say what the person tried: an approach, any therapy, or medication."), models.UniqueConstraint(fields=("condition", "after", "after_any_therapy", "after_medication", "suggest"), name="nextsteprule_unique", violation_error_message="This suggestion already exists for these answers.")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="nextsteprule", table=None),
    ]
