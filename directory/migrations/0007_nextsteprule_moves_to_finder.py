# The next-step rules now belong to the fit finder (finder.NextStepRule, whose migration keeps the table
# and its rows): only Django's record of the model leaves this app.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0006_license_provider_verified"),
        ("finder", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="NextStepRule")],
            database_operations=[],
        ),
    ]
