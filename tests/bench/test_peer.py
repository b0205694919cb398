"""bench/peer.py: the files both sides import and the peer's projection for the whole big file."""

import csv
import io

from bench import peer, run


def _pieces(*starts: int) -> list[tuple[int, int, float]]:
    # 5,000-row files whose seconds per row are 10 ms + 2 µs × the leads at the file's middle
    return [(leads, 5000, 5000 * (0.01 + 2e-6 * (leads + 2500))) for leads in starts]


def test_the_growth_is_a_line_through_the_times_per_row():
    a, b = peer.growth(_pieces(0, 5000, 10_000))

    assert abs(a - 0.01) < 1e-9
    assert abs(b - 2e-6) < 1e-12


def test_one_size_gives_no_growth():
    assert peer.growth(_pieces(5000, 5000)) is None


def test_the_projection_adds_the_growth_to_the_mean_rate(monkeypatch):
    monkeypatch.setattr(peer, "PIECES", _pieces(0, 5000))

    text = peer.projection(5000, 100_000, 40.0)

    # 20 pieces from 5,000 leads: 5,000 × (20 × 10 ms + 2 µs × (20 × 7,500 + 5,000 × 190)) = 12,000 s
    assert text.strip().startswith("Projection, not measured")
    assert text.endswith("at that growth 200 min.")
    # at the pieces' rate, 40 rows a second: 100,000 rows in 2,500 s
    assert "take it 42 min at its pieces' rate" in text


def test_the_peers_files_carry_its_status_and_voronkas_do_not():
    peers = list(csv.reader(io.StringIO(peer.csv_bytes("t", 0, 3, status="assigned").decode())))
    ours = list(csv.reader(io.StringIO(peer.csv_bytes("t", 0, 3).decode())))

    assert peers[0][-1] == "status" and [row[-1] for row in peers[1:]] == ["assigned"] * 3
    assert "status" not in ours[0] and len(ours) == 4
    # the same people on both sides: a search finds the same share
    assert [row[:5] for row in peers] == ours


def test_make_bench_gives_the_peer_the_issues_sizes_and_the_time_they_take():
    plan = run.plans(1.0, 1, True, [])["peer"]()

    ((_label, argv, _env),) = plan.runs
    assert argv[argv.index("--scale") + 1] == "1"
    assert int(argv[argv.index("--piece-budget") + 1]) == run.PEER_PIECE_BUDGET
    assert plan.timeout > 900  # longer than the other benchmarks' limit
