"""The command line against real local servers.

Each run is what ``python -m inpaint ARGS`` does, ``cli.main(argv)`` in this
process with its own working directory, environment and captured output
(tests/cli_run.py); ``--help`` and Ctrl-C run the real ``python -m inpaint``
so the entry point and the signal are covered too. The server side is the
session's local server (or one made for the test) over real HTTP.
"""

from __future__ import annotations

import io
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint import cli
from inpaint.cli.batch import find_mask, plan
from inpaint.cli.progressbar import ProgressBar
from inpaint.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    InputImageError,
    InsufficientCreditsError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    ParameterError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from inpaint.metadata import read_parameters
from inpaint.params import OPTIONS, PARAMS
from inpaint.progress import ProgressEvent
from tests.cli_run import Ran, cli_env, run_cli_here, run_cli_process

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
KEY = "cli-sentinel-key-5b7e1c"


def env_for(key: str | None = KEY) -> dict[str, str]:
    env = cli_env(key)
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_cli(cwd: Path, *args: object, key: str | None = KEY, process: bool = False) -> Ran:
    """``python -m inpaint ARGS`` in ``cwd``; asserts the key never shows.

    Run by ``cli.main`` in this process (tests/cli_run.py); ``process=True``
    starts the real interpreter, for the entry point's own smoke tests.
    """
    run = run_cli_process if process else run_cli_here
    proc = run(cwd, *args, key=key)
    if key:
        assert key not in proc.stdout and key not in proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def photo(tmp_path: Path, name: str = "chelsea") -> tuple[Path, Path]:
    return EXAMPLES / f"{name}.png", EXAMPLES / f"{name}_mask.png"


# -- help and the parser built from the specification ---------------------------------
def test_help_lists_every_parameter_with_its_documented_range(tmp_path):
    proc = run_cli(tmp_path, "--help", process=True)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())  # argparse wraps lines
    for param in PARAMS + OPTIONS:
        assert cli.flag_name(param) in text
        if param.kind in ("int", "float", "enum", "flag"):
            rng = param.range_text()
            assert rng[0].upper() + rng[1:] in text, param.name
    assert "A whole number from 1 to 5; default 5" in text  # guidance_scale
    for code, _ in cli.EXIT_CODES:
        assert re.search(rf"^\s+{code}\s", proc.stdout, re.M), code


def test_parser_flags_come_from_the_spec():
    actions = {a.dest: a for a in cli.build_parser()._actions}
    for param in PARAMS + OPTIONS:
        action = actions[param.name]
        assert action.default is None  # unset flags leave the library's defaults alone
        if param.kind == "flag":
            assert tuple(action.choices) == param.choices
    args = cli.build_parser().parse_args(
        [
            "--prompt",
            "p",
            "--steps",
            "12",
            "--guidance",
            "3",
            "--seed",
            "-1",
            "--safety-checker",
            "--base64-output",
            "--no-paste-back",
            "--feather",
            "4",
            "--transport",
            "base64",
        ]
    )
    request = cli.request_from(args)
    assert request.num_inference_steps == 12 and request.guidance_scale == 3
    assert request.seed is None  # -1 = random
    assert request.safety_checker is True and request.base64 is True
    assert request.paste_back is False and request.feather == 4
    assert request.crop_to_mask is None and request.mask_padding is None  # auto; scaled
    assert request.padding_for((2048, 1000)) == 64 and request.feather_for((512, 300)) == 4
    assert request.transport == "base64"
    assert request.payload()["safety_checker"] == "yes" and "seed" not in request.payload()
    with pytest.raises(ParameterError, match="strength must be a number from 0 to 1"):
        cli.request_from(cli.build_parser().parse_args(["--prompt", "p", "--strength", "2"]))
    with pytest.raises(ParameterError, match="mask_padding"):
        cli.request_from(cli.build_parser().parse_args(["--prompt", "p", "--mask-padding", "9999"]))


def test_progress_is_one_rewritten_line_on_a_terminal_and_one_line_per_stage_otherwise():
    events = [
        ProgressEvent("preparing", "Preparing"),
        ProgressEvent("uploading", "Uploading"),
        *[
            ProgressEvent("queued", "Queued as job 9", eta=4 - i, job_id=9, fraction=i / 4)
            for i in range(4)
        ],
        ProgressEvent("downloading", "Downloading 1 image"),
        ProgressEvent("done", "Done"),
    ]
    plain = io.StringIO()
    bar = ProgressBar(plain, tty=False, label="[1/2] a.png")
    for event in events:
        bar(event)
    bar.close()
    assert plain.getvalue().splitlines() == [
        "[1/2] a.png: Preparing",
        "[1/2] a.png: Uploading",
        "[1/2] a.png: Queued as job 9",
        "[1/2] a.png: Downloading 1 image",
        "[1/2] a.png: Done",
    ]
    assert bar.job_id == 9
    term = io.StringIO()
    bar = ProgressBar(term, tty=True)
    for event in events:
        bar(event)
    bar.close()
    text = term.getvalue()
    assert text.count("\r") == len(events) and text.endswith("\n") and text.count("\n") == 1
    assert "about 2 s left" in text and "[" + "#" * 24 + "] 100% Done" in text
    quiet = io.StringIO()
    bar = ProgressBar(quiet, enabled=False)
    for event in events:
        bar(event)
    bar.close()
    assert quiet.getvalue() == "" and bar.job_id == 9  # still known for Ctrl-C


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ParameterError("x"), 2),
        (InputImageError("x"), 2),
        (BadRequestError("x"), 2),
        (AuthenticationError("x"), 3),
        (InsufficientCreditsError("x"), 3),
        (PermissionDeniedError("x"), 3),
        (RateLimitError("x"), 4),
        (ServerError("x"), 4),
        (APIConnectionError("x"), 4),
        (DownloadError("x"), 4),
        (JobFailedError("x", job_id=1), 4),
        (JobTimeoutError("x", job_id=1), 5),
        (JobCancelledError("x"), 130),
        (KeyboardInterrupt(), 130),
    ],
)
def test_exit_codes_follow_the_exception_classes(exc, code):
    assert cli.exit_code_for(exc) == code


def test_folder_pairing_rules(tmp_path):
    photos, masks = tmp_path / "p", tmp_path / "m"
    photos.mkdir()
    masks.mkdir()
    for name in ("a.png", "b.JPG", "c.webp", "d.png", "d.jpg", "notes.txt"):
        (photos / name).write_bytes(b"x")
    for name in ("a.bmp", "b_mask.png", "c-mask.jpeg", "d.png"):
        (masks / name).write_bytes(b"x")
    pairs = plan(photos, masks, tmp_path / "out")
    assert [(p.image.name, p.mask.name if p.mask else None, p.out.name) for p in pairs] == [
        ("a.png", "a.bmp", "a.png"),
        ("b.JPG", "b_mask.png", "b.png"),
        ("c.webp", "c-mask.jpeg", "c.png"),
        ("d.jpg", "d.png", "d.png"),
        ("d.png", "d.png", "d-png.png"),
    ]
    # Photos and masks side by side: masks are not photos, and a photo is not its own mask.
    side = plan(EXAMPLES, EXAMPLES, tmp_path / "out")
    assert [(p.image.name, p.mask.name) for p in side] == [
        ("astronaut.png", "astronaut_mask.png"),
        ("chelsea.png", "chelsea_mask.png"),
        ("coffee.png", "coffee_mask.png"),
    ]
    assert find_mask(photos / "notes.txt", photos) is None
    one = plan(photos, masks / "a.bmp", tmp_path / "out")  # one mask for every photo
    assert len(one) == 5 and {p.mask for p in one} == {masks / "a.bmp"}


# -- real runs --------------------------------------------------------------------------
def test_one_photo_writes_pngs_that_carry_the_parameters(server, tmp_path):
    image, mask = photo(tmp_path)
    proc = run_cli(
        tmp_path,
        "--image",
        image,
        "--mask",
        mask,
        "--prompt",
        "a red scarf 🧣",
        "--negative",
        "blur",
        "--samples",
        2,
        "--seed",
        1234,
        "--steps",
        20,
        "--strength",
        0.9,
        "--guidance-scale",
        3,
        "--out",
        "out/result.png",
        "--base-url",
        server.base_url,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["out/result-1.png", "out/result-2.png"]
    assert "Uploading the image and mask" in proc.stderr  # progress, one line per stage
    for number, line in enumerate(proc.stdout.splitlines(), 1):
        saved = read_parameters(tmp_path / line)
        assert saved["prompt"] == "a red scarf 🧣" and saved["negative_prompt"] == "blur"
        assert saved["seed"] == 1234 and saved["num_inference_steps"] == 20
        assert saved["strength"] == 0.9 and saved["guidance_scale"] == 3
        assert saved["samples"] == 2 and saved["sample"] == number
        assert saved["mode"] == "whole" and saved["paste_back"] is True
        assert Image.open(tmp_path / line).size == Image.open(image).size
    quiet = run_cli(
        tmp_path,
        "--image",
        image,
        "--mask",
        mask,
        "--prompt",
        "x",
        "-q",
        "--out",
        "q.png",
        "--base-url",
        server.base_url,
        "--transport",
        "base64",
    )
    assert quiet.returncode == 0 and quiet.stdout == "q.png\n" and quiet.stderr == ""


def test_bad_parameter_is_one_line_and_exit_2(server, tmp_path):
    image, mask = photo(tmp_path)
    proc = run_cli(
        tmp_path,
        "--image",
        image,
        "--mask",
        mask,
        "--prompt",
        "x",
        "--guidance-scale",
        7,
        "--out",
        "r.png",
        "--base-url",
        server.base_url,
    )
    assert proc.returncode == 2
    assert proc.stderr == "error: guidance_scale must be a whole number from 1 to 5 (got 7)\n"
    assert proc.stdout == "" and not (tmp_path / "r.png").exists()
    typo = run_cli(
        tmp_path,
        "--image",
        image,
        "--mask",
        mask,
        "--prompt",
        "x",
        "--steps",
        "many",
        "--out",
        "r.png",
        "--base-url",
        server.base_url,
    )
    assert typo.returncode == 2 and "num_inference_steps must be a whole number" in typo.stderr
    no_prompt = run_cli(
        tmp_path, "--image", image, "--mask", mask, "--out", "r.png", "--base-url", server.base_url
    )
    assert no_prompt.returncode == 2 and "error: prompt is required" in no_prompt.stderr


def test_missing_image_and_empty_mask_exit_2(server, tmp_path):
    image, mask = photo(tmp_path)
    proc = run_cli(
        tmp_path,
        "--image",
        "nope.jpg",
        "--mask",
        mask,
        "--prompt",
        "x",
        "--out",
        "r.png",
        "--base-url",
        server.base_url,
    )
    assert proc.returncode == 2 and proc.stderr == "error: image not found: nope.jpg\n"
    Image.new("L", Image.open(image).size, 0).save(tmp_path / "empty.png")
    proc = run_cli(
        tmp_path,
        "--image",
        image,
        "--mask",
        "empty.png",
        "--prompt",
        "x",
        "--out",
        "r.png",
        "--base-url",
        server.base_url,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("error: ")
    assert "paint" in proc.stderr.splitlines()[-1]
    assert proc.stdout == "" and not (tmp_path / "r.png").exists()


def test_wrong_key_exits_3_and_never_shows_the_key(make_server, tmp_path):
    running = make_server(keys=frozenset({"the-right-key"}))
    image, mask = photo(tmp_path)
    proc = run_cli(
        tmp_path,
        "--image",
        image,
        "--mask",
        mask,
        "--prompt",
        "x",
        "--out",
        "r.png",
        "--base-url",
        running.base_url,
    )
    assert proc.returncode == 3
    assert "error: " in proc.stderr and "key" in proc.stderr.lower()
    assert "the-right-key" not in proc.stderr  # run_cli checks the sentinel key too
    ok = run_cli(
        tmp_path,
        "--image",
        image,
        "--mask",
        mask,
        "--prompt",
        "x",
        "--out",
        "r.png",
        "--base-url",
        running.base_url,
        key="the-right-key",
    )
    assert ok.returncode == 0 and ok.stdout == "r.png\n"
    assert "the-right-key" not in ok.stdout + ok.stderr


def test_pending_job_exits_5_with_its_id_and_the_fetch_command(make_server, tmp_path):
    running = make_server(gate_jobs=True, sync_threshold=0.0)  # held until released
    image, mask = photo(tmp_path)
    proc = run_cli(
        tmp_path,
        "--image",
        image,
        "--mask",
        mask,
        "--prompt",
        "later",
        "--seed",
        5,
        "--out",
        "late.png",
        "--max-wait",
        0.5,
        "--base-url",
        running.base_url,
    )
    assert proc.returncode == 5, proc.stderr
    job_id = re.search(r"^job id: (\d+)$", proc.stderr, re.M).group(1)
    command = re.search(r"^fetch it later with: (.+)$", proc.stderr, re.M).group(1)
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "inpaint"]
    assert words[3:] == [
        "--fetch",
        job_id,
        "--out",
        "late.png",
        "--image",
        str(image),
        "--mask",
        str(mask),
        "--base-url",
        running.base_url,
    ]
    assert not (tmp_path / "late.png").exists()
    assert running.app.state.jobs.release([int(job_id)]) == [int(job_id)]
    fetched = run_cli(tmp_path, *words[3:])
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout == "late.png\n"
    saved = read_parameters(tmp_path / "late.png")
    assert saved["request_id"] == job_id and saved["prompt"] == "later" and saved["seed"] == 5
    # Put back into the photo it was made from, as the first command would have written it.
    original = Image.open(image).convert("RGB")
    out = Image.open(tmp_path / "late.png").convert("RGB")
    assert out.size == original.size and saved["paste_back"] is True
    # Without --image/--mask, the API's own image at the size it was sent.
    raw = run_cli(tmp_path, "--fetch", job_id, "--out", "raw.png", "--base-url", running.base_url)
    assert raw.returncode == 0, raw.stderr
    assert Image.open(tmp_path / "raw.png").size == (saved["width"], saved["height"])


def test_a_pending_region_job_is_fetched_back_into_its_region(make_server, tmp_path):
    running = make_server(gate_jobs=True, sync_threshold=0.0)  # held until released
    big = tmp_path / "big.png"
    Image.open(EXAMPLES / "coffee.png").convert("RGB").resize((2400, 1600)).save(big)
    drawn = Image.new("L", (2400, 1600), 0)
    drawn.paste(255, (1000, 600, 1300, 900))
    drawn.save(tmp_path / "big_mask.png")
    proc = run_cli(
        tmp_path,
        "--image",
        big,
        "--mask",
        tmp_path / "big_mask.png",
        "--prompt",
        "x",
        "--strength",
        1,
        "--crop-to-mask",
        "--out",
        "r.png",
        "--max-wait",
        0.3,
        "--base-url",
        running.base_url,
    )
    assert proc.returncode == 5, proc.stderr
    words = shlex.split(re.search(r"^fetch it later with: (.+)$", proc.stderr, re.M).group(1))
    assert "--region" in words
    running.app.state.jobs.release()
    fetched = run_cli(tmp_path, *words[3:])
    assert fetched.returncode == 0, fetched.stderr
    out = np.asarray(Image.open(tmp_path / "r.png").convert("RGB"))
    keep = np.ones((1600, 2400), bool)
    keep[600 - 10 : 900 + 10, 1000 - 10 : 1300 + 10] = False  # the mask and its blend band
    assert out.shape == (1600, 2400, 3)
    assert (out[keep] == np.asarray(Image.open(big))[keep]).all()
    assert (
        np.abs(
            out[650:850, 1050:1250].astype(int) - np.asarray(Image.open(big))[650:850, 1050:1250]
        ).mean()
        > 3
    )


def test_ctrl_c_while_queued_exits_130_and_keeps_the_job_id(make_server, tmp_path):
    running = make_server(gate_jobs=True, sync_threshold=0.0)  # never released
    image, mask = photo(tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inpaint",
            "--image",
            str(image),
            "--mask",
            str(mask),
            "--prompt",
            "x",
            "--out",
            "r.png",
            "--base-url",
            running.base_url,
        ],
        cwd=tmp_path,
        env=env_for(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = []
        for line in proc.stderr:  # non-TTY progress: one line per stage
            seen.append(line)
            if line.startswith("Queued as job"):
                break
        assert seen and seen[-1].startswith("Queued as job"), seen
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    job_id = seen[-1].split()[-1]
    assert f"job id: {job_id}" in rest
    assert f"--fetch {job_id} --out r.png" in rest
    assert KEY not in rest and proc.stdout.read() == ""


def test_folder_mode_processes_the_others_when_a_mask_is_missing(server, tmp_path):
    photos, masks = tmp_path / "photos", tmp_path / "masks"
    photos.mkdir()
    masks.mkdir()
    Image.open(EXAMPLES / "chelsea.png").save(photos / "cat.png")
    Image.open(EXAMPLES / "coffee.png").convert("RGB").save(photos / "cup.jpg")
    Image.open(EXAMPLES / "astronaut.png").save(photos / "lonely.png")
    Image.open(EXAMPLES / "chelsea_mask.png").save(masks / "cat.png")
    Image.open(EXAMPLES / "coffee_mask.png").save(masks / "cup_mask.png")
    Image.open(EXAMPLES / "chelsea.png").save(photos / "blank.png")
    Image.new("L", (451, 300), 0).save(masks / "blank-mask.png")  # nothing painted: fails
    proc = run_cli(
        tmp_path,
        "--image",
        "photos",
        "--mask",
        "masks",
        "--prompt",
        "x",
        "--seed",
        3,
        "--out",
        "results",
        "--base-url",
        server.base_url,
    )
    assert proc.returncode == 2  # a photo was skipped and one refused
    assert proc.stdout.splitlines() == ["results/cat.png", "results/cup.png"]
    assert "skipped lonely.png: no mask" in proc.stderr
    assert re.search(r"^error: \[1/4\] blank.png: .*paint", proc.stderr, re.M), proc.stderr
    assert "4 photos: 2 written, 1 skipped, 1 failed, 0 pending" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["cat.png", "cup.png"]
    assert read_parameters(tmp_path / "results/cup.png")["seed"] == 3
    assert Image.open(tmp_path / "results/cup.png").size == Image.open(photos / "cup.jpg").size


def test_crop_to_mask_on_a_big_photo_keeps_its_size_and_pixels(server, tmp_path):
    big = Image.open(EXAMPLES / "chelsea.png").convert("RGB").resize((2400, 1600))
    big.save(tmp_path / "big.png")
    mask = Image.new("L", big.size, 0)
    mask.paste(255, (1000, 700, 1200, 860))
    mask.save(tmp_path / "big_mask.png")
    proc = run_cli(
        tmp_path,
        "--image",
        "big.png",
        "--mask",
        "big_mask.png",
        "--prompt",
        "x",
        "--crop-to-mask",
        "--mask-padding",
        64,
        "--feather",
        4,
        "--out",
        "out.png",
        "--base-url",
        server.base_url,
    )
    assert proc.returncode == 0, proc.stderr
    result = Image.open(tmp_path / "out.png")
    assert result.size == (2400, 1600)
    saved = read_parameters(tmp_path / "out.png")
    assert saved["mode"] == "masked" and saved["mask_padding"] == 64
    assert saved["output_size"] == [2400, 1600] and len(saved["regions"]) == 1
    before, after = np.asarray(big), np.asarray(result.convert("RGB"))
    far = np.ones(before.shape[:2], bool)
    far[700 - 8 : 860 + 8, 1000 - 8 : 1200 + 8] = False
    assert np.array_equal(before[far], after[far])  # untouched outside mask + feather
    assert not np.array_equal(before[700:860, 1000:1200], after[700:860, 1000:1200])


def test_without_a_key_the_offline_engine_runs_and_says_so(tmp_path):
    image, mask = photo(tmp_path, "coffee")
    proc = run_cli(
        tmp_path, "--image", image, "--mask", mask, "--prompt", "x", "--out", "o.png", key=None
    )
    assert proc.returncode == 0, proc.stderr
    assert "classical fill that ignores the prompt" in proc.stderr
    assert proc.stdout == "o.png\n" and read_parameters(tmp_path / "o.png")["prompt"] == "x"
    no_key = run_cli(
        tmp_path,
        "--fetch",
        "12",
        "--out",
        "o.png",
        "--base-url",
        "http://127.0.0.1:9/api",
        key=None,
    )
    assert no_key.returncode == 3 and "MODELSLAB_API_KEY" in no_key.stderr


def test_offline_an_extension_needs_no_prompt_and_is_told_it_is_ignored(tmp_path, monkeypatch):
    """As the studio's Extend: the classical fill ignores the prompt, so none is demanded."""
    from inpaint.offline import OFFLINE_EXTEND_PROMPT

    for name in ("MODELSLAB_API_KEY", "MODELSLAB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env with a key above it
    Image.open(EXAMPLES / "chelsea.png").convert("RGB").resize((160, 120)).save("p.png")
    out, err = io.StringIO(), io.StringIO()
    argv = ["--image", "p.png", "--extend-right", "48", "--out", "wide.png", "--quiet"]
    assert cli.main(argv, stdout=out, stderr=err) == 0, err.getvalue()
    said = err.getvalue()
    assert "classical fill that ignores the prompt" in said
    assert "no --prompt needed offline: the local fill ignores it" in said
    assert out.getvalue() == "wide.png\n" and Image.open("wide.png").size == (208, 120)
    assert read_parameters(tmp_path / "wide.png")["prompt"] == OFFLINE_EXTEND_PROMPT
    # A server named (a key's API, or another server): the prompt is demanded as before.
    named, err = io.StringIO(), io.StringIO()
    argv += ["--base-url", "http://127.0.0.1:9/api"]
    assert cli.main(argv, stdout=named, stderr=err) == 2
    assert err.getvalue() == "error: prompt is required\n" and named.getvalue() == ""


# -- outputs are checked before anything is sent -----------------------------------------
def test_an_unwritable_out_is_refused_before_anything_is_sent(tmp_path):
    from tests.fault_server import FaultServer

    image, mask = photo(tmp_path)
    (tmp_path / "taken").write_text("a file, not a folder")
    with FaultServer() as fs:
        proc = run_cli(
            tmp_path,
            "--image",
            image,
            "--mask",
            mask,
            "--prompt",
            "x",
            "--out",
            "taken/result.png",
            "--base-url",
            fs.base_url,
        )
        folder = run_cli(
            tmp_path,
            "--image",
            EXAMPLES,
            "--mask",
            EXAMPLES,
            "--prompt",
            "x",
            "--out",
            "taken",
            "--base-url",
            fs.base_url,
        )
        assert fs.seen == []  # nothing uploaded, nothing submitted: nothing paid
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "error: --out: cannot create taken/result.png: taken is a file, not a folder\n"
    )
    assert folder.returncode == 2 and "is a file" in folder.stderr


def test_an_out_the_file_system_refuses_is_caught_even_for_root(tmp_path):
    """Permission bits say yes to root; /proc says no. The check writes for real."""
    from tests.fault_server import FaultServer

    image, mask = photo(tmp_path)
    with FaultServer() as fs:
        proc = run_cli(
            tmp_path,
            "--image",
            image,
            "--mask",
            mask,
            "--prompt",
            "x",
            "--out",
            "/proc/not-writable/out.png",
            "--base-url",
            fs.base_url,
        )
        assert fs.seen == []  # nothing uploaded, nothing submitted: nothing paid
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: --out: cannot create /proc/not-writable/out.png: ")
    assert "Traceback" not in proc.stderr


def test_the_output_check_leaves_no_probe_and_no_change(tmp_path):
    from inpaint.outputs import output_problem

    kept = tmp_path / "kept.png"
    kept.write_bytes(b"old result")
    assert output_problem(kept) is None and output_problem(tmp_path / "a/b/new.png") is None
    assert output_problem(tmp_path / "c", folder=True) is None
    assert kept.read_bytes() == b"old result"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "b", "c", "kept.png"]
    assert "a test file in /proc was refused" in (output_problem("/proc/out.png") or "")


def test_missing_output_folders_are_created(server, tmp_path):
    image, mask = photo(tmp_path)
    proc = run_cli(
        tmp_path,
        "--image",
        image,
        "--mask",
        mask,
        "--prompt",
        "x",
        "--seed",
        3,
        "--out",
        "new/deeper/r.png",
        "--base-url",
        server.base_url,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "new/deeper/r.png\n" and (tmp_path / "new/deeper/r.png").is_file()


def test_help_says_how_to_ask_for_a_random_seed(tmp_path):
    text = " ".join(run_cli(tmp_path, "--help").stdout.split())
    assert "A whole number from 0 to 4294967295, or -1 (or blank) for random." in text
