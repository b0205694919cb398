"""voronka report NAME: the same figures as the selectors, as a table, JSON or CSV; clear errors."""

import csv
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from tests.analytics.conftest import History

pytestmark = pytest.mark.django_db

PERIOD = ["--from", "2025-03-01", "--to", "2025-03-31"]


@pytest.fixture
def deals(admin, general_pipeline):
    history = History(admin)
    history.deal(general_pipeline, [("NEW", "2025-03-02 10:00"), ("PREPARATION", "2025-03-03 10:00")])
    history.deal(general_pipeline, [("NEW", "2025-03-05 10:00"), ("LOSE", "2025-03-06 10:00")])


def run(*args) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def test_funnel_as_json_carries_the_selector_figures(deals):
    data = json.loads(run("funnel", *PERIOD, "--format", "json"))

    assert data["items"] == 2
    assert [s["reached"] for s in data["stages"]][:2] == [2, 1]
    assert data["filter"]["date_from"] == "2025-03-01"


def test_funnel_as_csv_has_a_header_and_one_row_per_stage(deals):
    rows = list(csv.reader(io.StringIO(run("funnel", *PERIOD, "--format", "csv"))))

    assert rows[0][0].startswith("# Funnel")
    assert rows[1][:2] == ["stage", "reached"]
    assert rows[2][:2] == ["New", "2"]


def test_table_in_russian(deals):
    text = run("funnel", *PERIOD, "--lang", "ru")

    assert "Воронка" in text and "Новая" in text


@pytest.mark.parametrize(
    "name", ["time-in-stage", "bottlenecks", "losses", "activities", "sources", "forecast", "review"]
)
def test_every_report_prints(deals, name):
    assert run(name, *PERIOD)


def test_plan_needs_a_target_and_says_so(deals):
    with pytest.raises(CommandError, match=r"analytics\.plan_target"):
        run("plan", *PERIOD)
    assert "won" in run("plan", *PERIOD, "--target-count", "3")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--from", "2025-13-01"], "analytics.bad_date"),
        (["--from", "2025-04-01", "--to", "2025-03-01"], "analytics.bad_period"),
        (["--pipeline", "nope"], "pipeline.not_found"),
        (["--responsible", "ghost"], "user.not_found"),
        (["--source", "NOPE"], "source.not_found"),
    ],
)
def test_bad_options_are_refused_with_their_code(args, code):
    with pytest.raises(CommandError, match=re.escape(code)):
        run("funnel", *args)


def test_a_user_sees_only_their_scope(deals, intern):
    data = json.loads(run("funnel", *PERIOD, "--format", "json", "--as", intern.username))
    assert data["items"] == 0
