"""`make bench` finds every benchmark and leaves the helpers out."""

from bench import run


def test_every_benchmark_runs_and_no_helper_does():
    names = run.discover()

    assert {"api", "web", "analytics", "imports", "intake", "peer"} <= set(names)
    assert not {"run", "generate", "api_data", "web_data", "analytics_data", "intake_data"} & set(names)
    assert names[:2] == ["imports", "web"]  # the known ones first, in their order


def test_each_benchmark_states_its_method():
    for name in run.discover():
        assert run.method_of(name), name
