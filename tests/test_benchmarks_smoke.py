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
