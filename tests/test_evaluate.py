"""The fill measurements (``inpaint.evaluate``): each score means what it says."""

from __future__ import annotations

import csv

import cv2
import numpy as np
from PIL import Image

from inpaint import evaluate as ev


def case() -> ev.Case:
    return ev.make_case("gravel", ev.texture("gravel", 128), ev.texture("brick", 128), radius=30)


def arrays(c: ev.Case) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.asarray(c.truth),
        np.asarray(c.damaged),
        np.asarray(c.mask) >= 128,
        np.asarray(c.object_area) >= 128,
    )


def test_ghost_is_zero_for_the_truth_one_for_the_object_and_the_blend_share():
    c = case()
    truth, damaged, inside, _ = arrays(c)
    assert ev.ghost(truth, truth, damaged, inside) < 1e-9
    assert abs(ev.ghost(damaged, truth, damaged, inside) - 1.0) < 1e-9
    # The old engine's 30 % of the original at strength 0.7: a ghost of 0.3.
    smudge = cv2.inpaint(damaged, (inside * 255).astype(np.uint8), 3, cv2.INPAINT_TELEA)
    faded = np.clip(0.3 * damaged + 0.7 * smudge.astype(float) + 0.5, 0, 255).astype(np.uint8)
    assert abs(ev.ghost(faded, truth, damaged, inside) - 0.3) < 0.06
    # A fill unrelated to the object (another texture) leaves no trace.
    other = np.asarray(ev.texture("grass", 128))
    assert ev.ghost(other, truth, damaged, inside) < 0.05


def test_texture_ratio_smudge_copy_and_noise():
    c = case()
    truth, damaged, inside, _ = arrays(c)
    assert abs(ev.texture_ratio(truth, truth, inside) - 1.0) < 1e-9
    smudge = cv2.inpaint(damaged, (inside * 255).astype(np.uint8), 3, cv2.INPAINT_TELEA)
    assert ev.texture_ratio(smudge, truth, inside) < 0.5
    noise = np.random.default_rng(0).integers(0, 256, truth.shape, dtype=np.uint8)
    assert ev.texture_ratio(noise, truth, inside) > 2.0


def test_ssim_and_psnr():
    c = case()
    truth, damaged, inside, _ = arrays(c)
    assert abs(ev.ssim(truth, truth, inside) - 1.0) < 1e-9
    assert ev.psnr(truth, truth, inside) == 99.0
    assert ev.ssim(damaged, truth, inside) < 0.5
    assert ev.psnr(damaged, truth, inside) < 20


def test_evaluate_runs_backends_writes_strips_table_and_csv(tmp_path):
    cases = [
        case(),
        ev.make_case("chelsea", ev.photo("chelsea", 128), ev.texture("sky", 128), radius=25),
    ]
    keep = lambda image, mask, seed: image  # noqa: E731 - the "do nothing" backend
    backends = {"ours": ev.engine_backend(0.7), "telea": ev.telea_backend, "keep": keep}
    scores = ev.evaluate(cases, backends, seed=1, strips=tmp_path / "strips")
    assert [(s.case, s.method) for s in scores] == [(c.name, m) for c in cases for m in backends]
    by = {(s.case, s.method): s for s in scores}
    assert by[("gravel", "keep")].ghost == 1.0
    assert by[("gravel", "ours")].ghost < 0.1
    assert by[("gravel", "ours")].texture > by[("gravel", "telea")].texture
    strip = Image.open(tmp_path / "strips" / "gravel.png")
    assert strip.width == 5 * 256  # truth | masked | three methods
    text = ev.table(scores)
    assert "| **median** | ours |" in text
    ev.write_csv(scores, tmp_path / "scores.csv")
    rows = list(csv.DictReader((tmp_path / "scores.csv").open()))
    assert len(rows) == 6 and set(rows[0]) == {
        "case",
        "method",
        "texture",
        "ghost",
        "ssim",
        "psnr",
        "seconds",
    }


def test_default_cases_are_square_and_known():
    cases = ev.default_cases(96)
    assert [c.name for c in cases] == list(ev.PHOTOS) + list(ev.TEXTURES)
    for c in cases:
        assert c.truth.size == c.damaged.size == c.mask.size == (96, 96)
        inside = np.asarray(c.mask) >= 128
        # The object is under the mask, and outside it the input is the truth.
        assert (np.asarray(c.object_area)[~inside] == 0).all()
        assert np.array_equal(np.asarray(c.damaged)[~inside], np.asarray(c.truth)[~inside])


def test_cli_prints_the_table(tmp_path, capsys):
    assert (
        ev.main(
            [
                "--size",
                "96",
                "--methods",
                "ours,telea",
                "--cases",
                "sky,brick",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    out = captured.out
    assert "| sky | ours |" in out and "| brick | telea |" in out
    # A line per case as it goes (stderr, so stdout stays the table).
    lines = captured.err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("[1/2] ") and "ours" in lines[0]
    assert (tmp_path / "scores.csv").exists() and (tmp_path / "strips" / "sky.png").exists()


def test_outpaint_scores_the_truth_as_perfect_and_a_smear_as_flat():
    from inpaint import outpaint_eval as oe

    c = oe.OutpaintCase("gravel", ev.texture("gravel", 160), oe.Extension(right=48, bottom=32))
    perfect = oe.score(c, c.truth, "truth", 0.0)
    assert 0.8 < perfect.detail < 1.25 and perfect.ssim > 0.999 and perfect.colour == 0.0
    assert perfect.seam < 1.5
    smeared = np.asarray(c.truth).copy()
    smeared[:, -48:] = cv2.GaussianBlur(smeared, (0, 0), 4)[:, -48:]
    blurred = oe.score(c, Image.fromarray(smeared), "smear", 0.0)
    assert blurred.detail < 0.4 and blurred.flat > 0.5


def test_cli_outpaint_prints_a_line_per_case_as_it_goes(tmp_path, capsys):
    assert ev.main(["--outpaint", "--cases", "gravel-right-bottom", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| gravel-right-bottom | ours |" in out and "| gravel-right-bottom | patchmatch |" in out
    with (tmp_path / "outpaint.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["method"] for r in rows] == ["ours", "patchmatch"]
    assert (tmp_path / "strips" / "outpaint-gravel-right-bottom.png").exists()
