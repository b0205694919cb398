"""Bottlenecks: decided conversion, Wilson intervals, the past and the team, small samples left alone."""

import pytest

from voronka.analytics.selectors.bottlenecks import bottlenecks

pytestmark = pytest.mark.django_db


def new_then(history, pipeline, who, day, outcome):
    """A deal created on `day` of the month that passes NEW ("pass") or is lost there ("lost")."""
    second = ("PREPARATION", f"{day} 15:00") if outcome == "pass" else ("LOSE", f"{day} 15:00")
    return history.deal(pipeline, [("NEW", f"{day} 10:00"), second], assigned_to=who)


@pytest.fixture
def team(history, general_pipeline, manager, colleague, head):
    g = general_pipeline
    for i in range(12):  # Ivanov: 3 of 12 pass
        new_then(history, g, manager, f"2025-03-{i + 1:02d}", "pass" if i < 3 else "lost")
    for i in range(30):  # Petrov: 27 of 30 pass
        new_then(history, g, colleague, f"2025-03-{i % 28 + 1:02d}", "pass" if i < 27 else "lost")
    for i in range(3):  # the head: 0 of 3, too few to judge
        new_then(history, g, head, f"2025-03-{i + 1:02d}", "lost")
    for i in range(20):  # a year before: 19 of 20 passed
        new_then(history, g, colleague, f"2024-06-{i + 1:02d}", "pass" if i < 19 else "lost")


def test_stage_conversion_counts_decided_items_against_the_previous_year(admin, march, team):
    report = bottlenecks(admin, march)
    new = report.stages[0]

    assert (new.code, new.current.passed, new.current.failed) == ("NEW", 30, 15)
    assert new.current.rate == pytest.approx(30 / 45)
    assert (new.past.passed, new.past.failed) == (19, 1)
    assert new.below_past and new.is_bottleneck
    # "Preparing documents" has no decided items: every deal that got there is still there
    assert report.stages[1].current.rate is None and not report.stages[1].is_bottleneck
    assert (report.past_from, report.past_to) == ("2024-03-01", "2025-02-28")


def test_a_manager_is_flagged_only_when_the_interval_lies_under_the_team_rate(
    admin, march, team, manager, colleague, head
):
    report = bottlenecks(admin, march)
    rows = {row.manager_id: row for row in report.managers if row.stage_id == report.stages[0].stage_id}

    assert rows[manager.pk].conversion.rate == pytest.approx(0.25)
    assert rows[manager.pk].conversion.interval.high < 30 / 45
    assert rows[manager.pk].below_team
    assert not rows[colleague.pk].below_team
    # 0 of 3 is below the team too, but three deals prove nothing
    assert rows[head.pk].conversion.interval.high < 30 / 45
    assert not rows[head.pk].below_team
    flagged = [f for f in report.findings if f.code == "bottleneck.below_team"]
    assert [f.manager_id for f in flagged] == [manager.pk]
    assert "25%" in flagged[0].text and "team 67%" in flagged[0].text and "Ivan Ivanov" in flagged[0].text
    assert {f.code for f in report.findings} == {
        "bottleneck.lowest_stage",
        "bottleneck.below_past",
        "bottleneck.below_team",
    }


def test_small_samples_give_no_findings(admin, march, history, general_pipeline, manager):
    for i in range(4):
        new_then(history, general_pipeline, manager, f"2025-03-{i + 1:02d}", "lost")

    report = bottlenecks(admin, march)

    assert report.findings == []
