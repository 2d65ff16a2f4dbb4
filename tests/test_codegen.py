""" "Copy as code": the generated Python and curl are executed, not just read.

The snippet runs in a fresh interpreter and the curl script in bash, both
against the local server over real HTTP, in a folder holding photo.png and
mask.png, with the key only in the environment. A hostile prompt must arrive
at the server byte for byte and must not run anything on the way.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from PIL import Image

from inpaint import InpaintRequest, ParameterError
from inpaint.contract import DEFAULT_BASE_URL
from inpaint.metadata import read_parameters
from inpaint.studio.reproduce import codegen

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
KEY = "codegen-sentinel-key-93d1"


def hostile_prompt(folder: Path) -> str:
    """Quotes of both kinds, a newline, emoji, ``$``, ``$(...)`` and backticks."""
    return (
        f'a "red" scarf\'s edge $HOME $(touch {folder}/pwned-dollar) '
        f"`touch {folder}/pwned-tick` '; touch {folder}/pwned-quote; '\n"
        "second line 🧣 \\n %s {}"
    )


def workdir(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES / "chelsea.png", tmp_path / "photo.png")
    shutil.copy(EXAMPLES / "chelsea_mask.png", tmp_path / "mask.png")
    return tmp_path


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("MODELSLAB_")}
    out.update(MODELSLAB_API_KEY=KEY, PYTHONPATH=str(ROOT))
    return out


def no_pwned(folder: Path) -> None:
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("pwned")) == []


def fetch_meta(server, job_id: str) -> dict:
    answer = requests.post(
        f"{server.base_url}/v6/image_editing/fetch/{job_id}", json={"key": KEY}, timeout=10
    ).json()
    assert answer["status"] == "success", answer
    return answer["meta"]


# -- pure functions ----------------------------------------------------------------------
def test_only_non_default_values_and_never_a_key():
    plain = InpaintRequest.from_values(
        {
            "prompt": "x",
            "samples": 1,
            "seed": -1,
            "width": None,
            "height": "",
            "safety_checker": "no",
            "instant_response": False,
            "base64": "false",
            "transport": "upload",
            "crop_to_mask": None,
            "mask_padding": None,
            "paste_back": True,
            "feather": None,
        }
    )
    assert plain.kwargs(changed_only=True) == {"prompt": "x"}
    snippet = codegen.python_snippet(plain, base_url=DEFAULT_BASE_URL + "/")
    assert "ModelsLabClient()" in snippet and KEY not in snippet
    script = codegen.curl_script(plain)
    assert KEY not in script and f"BASE={DEFAULT_BASE_URL}\n" in script
    changed = InpaintRequest.from_values(
        {
            "prompt": "x",
            "seed": "42",
            "safety_checker": True,
            "base64": "true",
            "guidance_scale": 3.0,
            "crop_to_mask": "true",
            "feather": 0,
            "transport": "base64",
        }
    )
    assert changed.kwargs(changed_only=True) == {
        "prompt": "x",
        "guidance_scale": 3,
        "safety_checker": True,
        "seed": 42,
        "base64_output": True,
        "transport": "base64",
        "crop_to_mask": True,
        "feather": 0,
    }
    assert InpaintRequest(prompt="x", seed=42, instant_response=True).payload() == {
        "prompt": "x",
        "samples": 1,
        "num_inference_steps": 30,
        "safety_checker": "no",
        "guidance_scale": 5,
        "strength": 0.7,
        "seed": 42,
        "instant_response": "true",
        "base64": "false",
    }


def test_a_request_cannot_carry_a_key_or_an_invalid_value():
    """What code is generated from is a validated request: a bad value or a key never
    reaches a snippet (the studio shows "fix the form first" instead)."""
    for bad in ({"prompt": "x", "key": KEY}, {"prompt": "x", "api_key": KEY}):
        with pytest.raises(ParameterError, match="unknown parameter"):
            InpaintRequest.from_values(bad)
    with pytest.raises(ParameterError, match="guidance_scale must be a whole number"):
        InpaintRequest.from_values({"prompt": "x", "guidance_scale": 7})


def test_offline_code_starts_the_bundled_server_itself():
    request = InpaintRequest(prompt="x", seed=3)
    snippet = codegen.python_snippet(request, base_url="http://127.0.0.1:45678/api", offline=True)
    assert "ModelsLabClient.offline()" in snippet and "45678" not in snippet
    command = codegen.cli_command(request, base_url="http://127.0.0.1:45678/api", offline=True)
    assert "--offline" in command and "45678" not in command


def test_markers_inside_values_are_not_substituted():
    script = codegen.curl_script(
        InpaintRequest(prompt="__PARAMS__ __BASE__"),
        base_url="http://h/__MASK__",
        image="my photo __IMAGE__.png",
    )
    assert "BASE=http://h/__MASK__\n" in script
    assert "IMAGE='my photo __IMAGE__.png'\n" in script
    assert '"prompt": "__PARAMS__ __BASE__"' in script


# -- executed -----------------------------------------------------------------------------
def test_python_snippet_runs_and_saves_the_parameters(server, tmp_path):
    folder = workdir(tmp_path)
    prompt = hostile_prompt(folder)
    request = InpaintRequest(
        prompt=prompt,
        negative_prompt="it's `blurry`",
        seed=77,
        samples=2,
        strength=0.8,
        num_inference_steps=12,
        crop_to_mask=True,
        mask_padding=48,
        feather=4,
        transport="base64",
    )
    snippet = codegen.python_snippet(request, base_url=server.base_url)
    assert KEY not in snippet
    (folder / "snippet.py").write_text(snippet, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "snippet.py"],
        cwd=folder,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert KEY not in proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["result-1.png", "result-2.png"]
    saved = read_parameters(folder / "result-1.png")
    assert saved["prompt"] == prompt and saved["negative_prompt"] == "it's `blurry`"
    assert saved["seed"] == 77 and saved["samples"] == 2 and saved["strength"] == 0.8
    assert saved["num_inference_steps"] == 12 and saved["mode"] == "masked"
    assert saved["mask_padding"] == 48 and saved["feather"] == 4
    assert Image.open(folder / "result-2.png").size == Image.open(folder / "photo.png").size
    assert fetch_meta(server, saved["request_id"])["prompt"] == prompt
    no_pwned(folder)


@pytest.mark.parametrize("instant", ["false", "true"])
def test_curl_script_runs_against_the_api(server, tmp_path, instant):
    assert shutil.which("curl"), "scripts/test installs curl"
    folder = workdir(tmp_path)
    prompt = hostile_prompt(folder)
    request = InpaintRequest(
        prompt=prompt, seed=5, strength=0.9, instant_response=instant, crop_to_mask=True
    )
    script = codegen.curl_script(request, base_url=server.base_url)
    assert KEY not in script and "crop_to_mask" in script  # the note about library features
    (folder / "inpaint.sh").write_text(script, encoding="utf-8")
    proc = subprocess.run(
        ["bash", "inpaint.sh"], cwd=folder, env=env(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert KEY not in proc.stdout + proc.stderr
    found = re.search(r"^job id: (\d+) \((\w+)\)$", proc.stderr, re.M)
    assert found and found[2] == ("processing" if instant == "true" else "success")
    urls = proc.stdout.splitlines()
    assert len(urls) == 1 and urls[0].startswith(server.root_url)
    image = Image.open(io.BytesIO(requests.get(urls[0], timeout=10).content))
    assert image.format == "PNG" and image.size[0] > 0
    meta = fetch_meta(server, found[1])
    assert meta["prompt"] == prompt and meta["seed"] == 5 and meta["strength"] == 0.9
    no_pwned(folder)


def test_curl_script_saves_base64_outputs_and_stops_on_errors(make_server, tmp_path):
    folder = workdir(tmp_path)
    script = codegen.curl_script(
        InpaintRequest(prompt="x", base64=True), base_url=server_url(make_server())
    )
    (folder / "b64.sh").write_text(script, encoding="utf-8")
    proc = subprocess.run(
        ["bash", "b64.sh"], cwd=folder, env=env(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "result-1.png\n"
    assert Image.open(folder / "result-1.png").format == "PNG"
    locked = make_server(keys=frozenset({"another-key"}))
    (folder / "denied.sh").write_text(
        codegen.curl_script(InpaintRequest(prompt="x"), base_url=server_url(locked))
    )
    denied = subprocess.run(
        ["bash", "denied.sh"], cwd=folder, env=env(), capture_output=True, text=True, timeout=60
    )
    assert denied.returncode != 0 and "error: Invalid API key" in denied.stderr
    assert KEY not in denied.stdout + denied.stderr and denied.stdout == ""


def server_url(running) -> str:
    return running.base_url


def test_cli_command_runs_with_a_hostile_prompt(server, tmp_path):
    folder = workdir(tmp_path)
    prompt = "-starts with a dash " + hostile_prompt(folder)
    request = InpaintRequest(
        prompt=prompt, seed=11, safety_checker=True, samples=1, paste_back=False, transport="base64"
    )
    command = codegen.cli_command(request, base_url=server.base_url, out="cli.png")
    assert KEY not in command and "--no-paste-back" in command
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "python"  # "python" as in the README: this venv's interpreter
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    wrapper.chmod(0o755)
    run_env = env()
    run_env["PATH"] = f"{bin_dir}{os.pathsep}{run_env.get('PATH', '')}"
    proc = subprocess.run(
        ["bash", "-c", command], cwd=folder, env=run_env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "cli.png\n" and KEY not in proc.stderr
    saved = read_parameters(folder / "cli.png")
    assert saved["prompt"] == prompt and saved["seed"] == 11
    assert saved["safety_checker"] == "yes" and saved["paste_back"] is False
    no_pwned(folder)
