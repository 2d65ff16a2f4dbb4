"""The benchmark runner still runs and writes its table (figures are not checked)."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import main


def test_quick_run_writes_a_results_table(tmp_path, capsys):
    out = tmp_path / "RESULTS.md"
    assert main(["--quick", "--only", "engine", "--out", str(out)]) == 0
    text = out.read_text()
    assert "--quick" in text and "logical core(s)" in text and "Python 3." in text
    assert "| size" in text and "512 x 512" in text
    assert "## 6. The offline engine" in capsys.readouterr().out


def test_unknown_benchmark_names_are_refused(capsys):
    with pytest.raises(SystemExit):
        main(["--only", "nonsense"])
    assert "unknown benchmark" in capsys.readouterr().err


def test_generate_click_table_has_both_timings_and_the_breakdown():
    """The browser benchmark's table from made-up figures (running it needs Chromium)."""
    from benchmarks.generate_click import _section

    click = {"first": 0.05, "total": 3.0, "export": 1.0, "upload": 0.2, "server": 1.5}
    shares = {"capture": 0.1, "prepare": 0.2, "generate": 0.7, "paste-back": 0.15, "encode": 0.25}
    section = _section(
        {"12 MP (4000 x 3000)": [{**click, **shares, "render": 0.3, "uploads": 1}]},
        1,
        1.0,
        {"12 MP (4000 x 3000)": 1.25},
    )
    assert section.header[:4] == ["photo", "load (1 min)", "first status", "result on screen"]
    assert section.rows == [
        [
            "12 MP (4000 x 3000)",
            "1.2",
            "50 ms",
            "3000 ms",
            "1000 ms",
            "200 ms",
            "1500 ms",
            "100 ms",
            "200 ms",
            "700 ms",
            "150 ms",
            "250 ms",
            "300 ms",
        ]
    ]


def test_shared_state_benchmark_times_every_store(tmp_path):
    out = tmp_path / "RESULTS.md"
    assert main(["--quick", "--only", "shared_state", "--out", str(out)]) == 0
    text = out.read_text()
    for store in ("| memory", "| sqlite", "| redis"):
        assert store in text
    assert "FAILED" not in text


def test_replicas_benchmark_runs_both_kinds_of_state():
    """A studio with one user, shared (Redis) then per-process state: the table."""
    from benchmarks.common import render
    from benchmarks.replicas import run

    # One studio per kind: the table's making is what is checked here (the replicas
    # themselves are tests/test_public_space.py's).
    section = run(quick=True, count=1, users=1, latency=0.2)
    text = render(section)
    assert section.header[1:3] == ["shared (Redis)", "before (SQLite per replica)"]
    figures = {row[0]: row[1:3] for row in section.rows}
    assert figures["calls (1 users x 1)"][0] == "1 done, 0 failed", text
    assert figures["429s answered by the server"][0] == "0", text
    assert figures["jobs the server accepted"][0] == "1", text


def test_generate_click_reads_the_studios_own_split_from_its_log():
    from benchmarks.generate_click import server_shares

    log = (
        "timing capture read=0.100 save=0.050\n"
        "timing generate studio_prepare=0.200 prepare=0.100 jobs=0.700 "
        "full_size=0.020 put_back=0.080 job_files=0.300 encode=0.250\n"
    )
    assert server_shares(log) == pytest.approx(
        {
            "capture": 0.15,
            "prepare": 0.3,
            "generate": 0.7,
            "paste-back": 0.1,
            "encode": 0.25,
            "job files": 0.3,
        }
    )
