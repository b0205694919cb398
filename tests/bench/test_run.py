"""`make bench` finds every benchmark and leaves the helpers out."""

from bench import run


def test_every_benchmark_runs_and_no_helper_does():
    names = run.discover()

    assert {"api", "web", "analytics", "imports", "intake", "peer", "automation", "b24"} <= set(names)
    helpers = {
        "run",
        "generate",
        "api_profile",
        "api_data",
        "web_data",
        "analytics_data",
        "intake_data",
        "automation_tasks",
    }
    assert not helpers & set(names)
    # the known ones first, in their order: those without a target while the peer installs, the peer last
    assert names[: len(run.FIRST)] == run.FIRST and names[:3] == ["intake", "automation", "b24"]
    assert names.index("peer") == len(run.FIRST) - 1


def test_each_benchmark_states_its_method():
    for name in run.discover():
        assert run.method_of(name), name
