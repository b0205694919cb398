"""`make bench` finds every benchmark and leaves the helpers out."""

import json

from bench import generate, run


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


def test_a_benchmarks_copies_are_dropped_and_the_base_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "DATA", tmp_path)
    names = ["base-1-1.sqlite3", "web-1-1.sqlite3", "web-1-1.sqlite3-wal", "web-1-1.sqlite3-shm"]
    for name in names:
        (tmp_path / name).write_text("x")
    generate.drop(f"sqlite:///{tmp_path / 'web-1-1.sqlite3'}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base-1-1.sqlite3"]


def test_a_base_built_from_other_migrations_or_another_generator_is_not_reused(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'base-1-1.sqlite3'}"
    (tmp_path / "base-1-1.sqlite3.ok").write_text(json.dumps({"stamp": generate._stamp(1, 1)}))
    assert generate._ready("sqlite", url, generate._stamp(1, 1))
    monkeypatch.setattr(generate, "fingerprint", lambda: "another build")
    assert not generate._ready("sqlite", url, generate._stamp(1, 1))
    (tmp_path / "base-1-1.sqlite3.ok").write_text(json.dumps({"scale": 1, "seed": 1}))  # an older runner's
    assert not generate._ready("sqlite", url, generate._stamp(1, 1))
