"""Background work of automation: running robots and applying trigger events.

Both are safe to run twice: a robot run is claimed under a lock before it acts
(services.runs.execute), and a trigger moves an item forward at most once per stage.
"""

from django_tasks import task

from voronka.automation.services import runs, triggers


@task()
def run_robots(*, kind: str, item_id: int, entry_id: int) -> int:
    """Run the due robots of one entry of an item into a stage; return how many ran."""
    return len(runs.run_due(kind=kind, item_id=item_id, entry_id=entry_id))


@task()
def apply_trigger_event(*, event: str, kind: str, item_id: int, data: dict) -> int:
    """Move the item (or the client's open deal or lead) by the triggers of `event`; return moves."""
    return triggers.apply_event(event, kind=kind, item_id=item_id, data=data)
