"""Funnel review: silent on a pipeline that follows the seed's rules, loud on crafted bad ones."""

import datetime as dt

import pytest

from tests.analytics.conftest import at
from voronka.analytics.filters import parse_filter
from voronka.analytics.selectors.review import review
from voronka.crm.models import Pipeline, Stage

pytestmark = pytest.mark.django_db


def make_pipeline(name, opens, won, lost):
    pipeline = Pipeline.objects.create(kind="deal", name=name, sort=50)
    codes = []
    for index, (title, semantics) in enumerate(
        [(t, "open") for t in opens] + [(won, "won")] + [(t, "lost") for t in lost]
    ):
        code = f"S{index}"
        Stage.objects.create(
            pipeline=pipeline, code=code, name=title, semantics=semantics, sort=(index + 1) * 10
        )
        codes.append(code)
    return pipeline


def codes_of(admin, pipeline):
    report_filter = parse_filter(
        {"pipeline": pipeline.pk, "date_from": "2025-03-01", "date_to": "2025-03-31"},
        now=at("2025-06-01 12:00"),
    )
    (result,) = review(admin, report_filter, all_pipelines=False).pipelines
    return [f.code for f in result.findings], result


def walk(history, pipeline, count, steps):
    """`count` deals through the stage codes in `steps` = [(code, minutes after the previous)...]."""
    for n in range(count):
        moment = at(f"2025-03-{n % 27 + 1:02d} 09:00")
        path = []
        for code, gap in steps:
            moment += dt.timedelta(minutes=gap)
            path.append((code, moment.strftime("%Y-%m-%d %H:%M")))
        history.deal(pipeline, path)


def test_a_pipeline_that_follows_the_rules_gets_no_finding(admin, history):
    pipeline = make_pipeline(
        "Опт",
        ["Заявка получена", "Квалификация проведена", "КП отправлено", "Договор согласован"],
        "Передано в производство",
        ["Не устроила цена", "Выбрали конкурента", "Сорвались сроки"],
    )
    walk(history, pipeline, 12, [("S0", 0), ("S1", 300), ("S2", 600)])
    walk(history, pipeline, 6, [("S0", 0), ("S1", 400), ("S5", 200)])

    findings, result = codes_of(admin, pipeline)

    assert findings == []
    assert {s["title"]: s["style"] for s in result.stages}["КП отправлено"] == "done"


def test_stages_passed_minutes_apart_are_merge_candidates(admin, history):
    pipeline = make_pipeline(
        "Projects",
        ["New request", "Qualified", "Proposal drafted", "Proposal sent", "Contract signed"],
        "Paid",
        ["Price did not fit", "Chose a competitor"],
    )
    # "Proposal drafted" → "Proposal sent" five minutes later, every time
    walk(history, pipeline, 12, [("S0", 0), ("S1", 240), ("S2", 300), ("S3", 5), ("S4", 400)])

    findings, result = codes_of(admin, pipeline)

    assert findings == ["review.merge_stages"]
    finding = result.findings[0]
    assert finding.rule == 3
    assert [s["title"] for s in result.stages if s["id"] in finding.stage_ids] == [
        "Proposal drafted",
        "Proposal sent",
    ]
    assert (
        finding.evidence["median_seconds"] == pytest.approx(300, abs=0.01)
        and finding.evidence["within_an_hour"] == 12
    )


def test_mixed_naming_styles_are_flagged(admin):
    pipeline = make_pipeline(
        "Смешанная",
        ["Новая заявка", "Сделать КП", "Отправлено КП", "Договор подписан"],
        "Оплачено",
        ["Дорого", "Ушли к конкуренту"],
    )

    findings, result = codes_of(admin, pipeline)

    assert findings == ["review.mixed_naming"]
    assert result.findings[0].evidence["todo"] == ["Сделать КП"]


def test_a_single_loss_stage_and_too_many_stages_are_flagged(admin):
    pipeline = make_pipeline(
        "Long",
        [
            "New",
            "Qualified",
            "Needs identified",
            "Demo held",
            "Proposal sent",
            "Terms agreed",
            "Contract drafted",
            "Contract signed",
            "Invoice issued",
        ],
        "Paid",
        ["Lost"],
    )

    findings, _result = codes_of(admin, pipeline)

    assert findings == ["review.too_many_stages", "review.too_few_loss_reasons"]


def test_per_action_and_duplicate_stages_are_flagged(admin):
    pipeline = make_pipeline(
        "Звонки",
        ["Новый", "Уточнение информации", "Получение данных", "Перезвонить", "Повторный звонок"],
        "Продажа",
        ["Не устроила цена", "Нет бюджета"],
    )

    findings, result = codes_of(admin, pipeline)

    assert sorted(findings) == ["review.action_stages", "review.duplicate_stages"]
    duplicate = next(f for f in result.findings if f.code == "review.duplicate_stages")
    assert duplicate.evidence["names"] == ["Уточнение информации", "Получение данных"]


def test_frequent_backward_moves_are_flagged_with_the_steps(admin, history):
    pipeline = make_pipeline(
        "Back and forth",
        ["New", "Qualified", "Proposal sent", "Contract signed"],
        "Paid",
        ["Price", "Timing"],
    )
    walk(history, pipeline, 10, [("S0", 0), ("S1", 300), ("S2", 600), ("S1", 600), ("S2", 600)])

    findings, result = codes_of(admin, pipeline)

    assert findings == ["review.backward_moves"]
    assert result.findings[0].evidence["backward"] == 10
    assert result.findings[0].evidence["top"][0] == {"from": "Proposal sent", "to": "Qualified", "moves": 10}


def test_the_default_pipelines_have_unqualified_losses(admin, general_pipeline, lead_statuses):
    assert codes_of(admin, general_pipeline)[0] == ["review.generic_losses"]
    assert codes_of(admin, lead_statuses)[0] == ["review.too_few_stages", "review.too_few_loss_reasons"]
