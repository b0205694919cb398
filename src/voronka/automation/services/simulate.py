"""Simulate: which robots of the item's stage would run, when, and which triggers could move it — and why.

Nothing is written: the robots' timings are computed as if the item entered its stage now,
their conditions and the triggers' conditions are evaluated on the item as it is.
"""

import datetime as dt
from dataclasses import dataclass

from voronka.automation.conditions import Outcome, evaluate
from voronka.automation.models import Robot
from voronka.automation.services import triggers
from voronka.automation.services.runs import due_at
from voronka.crm.models import Stage
from voronka.crm.services.stages import stage_of
from voronka.lib import clock


@dataclass(frozen=True)
class RobotPreview:
    robot: Robot
    due_at: dt.datetime
    outcome: Outcome

    @property
    def would_run(self) -> bool:
        return self.outcome.holds


@dataclass(frozen=True)
class Simulation:
    stage: Stage
    robots: list[RobotPreview]
    triggers: list[triggers.Candidate]


def simulate(item) -> Simulation:
    """Return what automation would do for `item` in its current stage."""
    stage = stage_of(item)
    now = clock.now()
    previews = [
        RobotPreview(robot=robot, due_at=due_at(robot, item, now), outcome=evaluate(robot.condition, item))
        for robot in Robot.objects.filter(stage=stage, is_active=True).order_by("sort", "pk")
    ]
    return Simulation(stage=stage, robots=previews, triggers=triggers.candidates(item, kind="", data=None))
