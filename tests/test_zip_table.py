"""The ZIP code table searches read: shipped as a file made from the pinned zipcodes package."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from directory import geo


def test_the_shipped_table_is_the_one_the_pinned_zipcodes_package_makes(capsys):
    call_command("build_zip_table", check=True)  # else: CommandError, "run manage.py build_zip_table"
    assert "zip_centres.bin is up to date (42,789 ZIP codes)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "centre", "state"),
    [
        ("78701", (30.2713, -97.7426), "TX"),  # Austin
        ("78701-1234", (30.2713, -97.7426), "TX"),
        ("00501", (40.8154, -73.0451), "NY"),  # the first code in the table (one organization's: its own place)
        ("00601", (18.1967, -66.7367), "PR"),
        ("99950", (55.3422, -131.6478), "AK"),  # the last
        ("00000", None, None),  # no such ZIP code
        ("7870", None, None),
        ("78701-12", None, None),
    ],
)
def test_a_zip_code_gives_its_centre_and_state(value, centre, state):
    assert geo.zip_centre(value) == centre
    assert geo.zip_state(value) == state


def test_a_table_reads_back_what_was_written_and_a_damaged_file_is_refused():
    table = geo.table()
    again = geo.ZipTable.from_bytes(table.to_bytes())
    assert again == table
    with pytest.raises(ValueError, match="build_zip_table"):
        geo.ZipTable.from_bytes(b"<html>not a table</html>")
    with pytest.raises(ValueError, match="cut short"):
        geo.ZipTable.from_bytes(table.to_bytes()[:-10])
