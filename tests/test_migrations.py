"""Moving the next-step rules to the fit finder's app keeps every rule staff entered."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("directory", "0006_license_provider_verified")


@pytest.mark.django_db(transaction=True)
def test_the_next_step_rules_staff_entered_survive_the_move_to_the_finder_app():
    call_command("flush", interactive=False, verbosity=0)  # the rows of this test alone
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE, ("finder", None)])
    old = executor.loader.project_state([BEFORE]).apps
    cbt = old.get_model("directory", "Modality").objects.create(slug="cbt", name="CBT", category="psychotherapy")
    act = old.get_model("directory", "Modality").objects.create(slug="act", name="ACT", category="psychotherapy")
    old.get_model("directory", "NextStepRule").objects.create(after=cbt, suggest=act, why="Try acceptance.")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from finder.models import NextStepRule

    rule = NextStepRule.objects.get()
    assert (rule.after.slug, rule.suggest.slug, rule.why) == ("cbt", "act", "Try acceptance.")
