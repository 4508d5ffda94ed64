"""The benchmark command: every request it times answers, and its table is printed and written."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from directory.management.commands.bench import requests

STARTING_AND_EDITED = {"first request in a new worker", "search right after an edit"}
ROW = re.compile(r"^(?P<name>.+?)\s+(?P<p50>\d+\.\d)\s+(?P<p95>\d+\.\d)\s+(?P<queries>\d+)\s+(?P<kb>\d+\.\d)$")


class TestOnTheDemoProviders:
    def test_every_request_is_timed_and_the_table_is_written_to_the_output_file(self, demo, tmp_path, capsys):
        output = tmp_path / "bench.txt"
        call_command("bench", runs=2, output=str(output))
        printed = capsys.readouterr().out
        assert output.read_text().strip() == printed.strip()

        rows = {m["name"].strip(): m for line in printed.splitlines() if (m := ROW.match(line))}
        names = [name for name, _ in requests("slug", "Ana Díaz", 2)] + ["search right after an edit"]
        if connection.vendor == "postgresql":  # another process cannot open an in-memory SQLite database
            names.append("first request in a new worker")
        assert sorted(rows) == sorted(names)
        for name, row in rows.items():
            assert 0 < float(row["p50"]) <= float(row["p95"]), name
            if name not in STARTING_AND_EDITED:  # these also read whatever the index needs
                assert 0 < int(row["queries"]) <= 12, name
        assert float(rows["search, no filter"]["kb"]) < 68  # 20 cards with availability, hours and a save link, filters
        assert re.search(r"full text\s+search p50\s+\d+\.\d p95\s+\d+\.\d ms; SQL p50\s+\d+\.\d", printed)
        assert re.search(r"facet index: read in \d+ ms, \d+ KB in the cache", printed)
        assert re.search(r"load average \d+\.\d\d \d+\.\d\d \d+\.\d\d on \d+ cores", printed)
        assert re.search(r"ZIP table, first search of a new process: read in \d+\.\d ms, \+\d+\.\d MB; made from "
                         r"the zipcodes package \(before\) \d+ ms, \+\d+ MB", printed)


@pytest.mark.django_db
def test_without_providers_it_says_what_to_do():
    with pytest.raises(CommandError, match="generate_providers"):
        call_command("bench", runs=1)


@pytest.mark.django_db
def test_it_refuses_fewer_than_one_run():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("bench", runs=0)
