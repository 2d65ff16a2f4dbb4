"""Each API parameter is declared once: its name is spelled in at most three source files.

The parameter list used to be written about nine times (client signature, form,
handlers, panels, CLI, metadata, server...), and the copies drifted. Now one
declaration (``inpaint.params.Parameters``) drives all of them, and this test
keeps it so, over every source file under ``inpaint/`` and ``app.py``.

How a file "spells" a name, read with ``tokenize`` (comments and the prose of
docstrings never count):

* distinctive names (``num_inference_steps``, ``guidance_scale`` ...): any
  identifier with that name (an attribute, a keyword, a parameter, a variable)
  or a string literal that is exactly the name;
* generic words that are also everyday identifiers (``seed``, ``width``,
  ``height``, ``samples``, ``strength``, ``webhook``, ``base64``): the quoted
  name (``"seed"``) or the name as a keyword or parameter (``seed=1``,
  ``def f(seed: int)``), when one bracket lists two or more parameter names
  that way: a list of parameters written again (a signature, a call spelling
  them out, a dict or tuple of names). One name alone is a use, not a list:
  ``fill(image, seed=seed)`` is the fill's own random seed, ``Image(height=360)``
  a widget's height, ``params["strength"]`` reading one value. A bracket naming
  only ``width``, ``height`` and ``seed`` describes an image made (its size and
  the seed it came from, which the API's answer reports too), not a request.

The declaration itself is a class body (``width: int | None = api(...)``), which
the generic rule does not match; ``params.py`` counts for the distinctive names.
``prompt`` is exempt: it is the positional argument of every entry point.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 3

DISTINCTIVE = (
    "negative_prompt",
    "num_inference_steps",
    "guidance_scale",
    "safety_checker",
    "instant_response",
    "track_id",
)
GENERIC = ("width", "height", "samples", "strength", "seed", "webhook", "base64")
PARAMETERS = (*DISTINCTIVE, *GENERIC)
# What describes any image made (its size, the seed it came from): the API's answer
# reports them too, so a bracket naming only these is a result, not a parameter list.
RESULT_WORDS = frozenset({"width", "height", "seed"})


def source_files() -> list[Path]:
    return sorted((ROOT / "inpaint").rglob("*.py")) + [ROOT / "app.py"]


def spelled(text: str) -> set[str]:
    """The parameter names this source spells (by the rules in the module docstring)."""
    found: set[str] = set()
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(text).readline)
        if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)
    ]
    # For each open bracket, the parameter names listed directly in it.
    groups: list[set[str]] = []
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if tok.type == tokenize.OP and tok.string in "([{":
            groups.append(set())
        elif tok.type == tokenize.OP and tok.string in ")]}" and groups:
            listed = groups.pop()
            if len(listed - RESULT_WORDS) >= 1 and len(listed) > 1:  # a list of parameters
                found |= listed
        elif tok.type == tokenize.NAME and tok.string in PARAMETERS:
            if tok.string in DISTINCTIVE:
                found.add(tok.string)
            elif groups and nxt in ("=", ":"):
                groups[-1].add(tok.string)
        elif tok.type == tokenize.STRING:
            try:
                value = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):
                continue
            if value in DISTINCTIVE:
                found.add(value)
            elif value in GENERIC and groups:
                groups[-1].add(value)
    return found


def spelling_files() -> dict[str, list[str]]:
    counts: dict[str, list[str]] = {name: [] for name in (*DISTINCTIVE, *GENERIC)}
    for path in source_files():
        for name in spelled(path.read_text(encoding="utf-8")):
            counts[name].append(str(path.relative_to(ROOT)))
    return counts


def test_the_rules_count_what_they_should() -> None:
    sample = (
        'def f(seed: int, strength=1):\n    """seed and track_id in prose"""\n'
        "    # num_inference_steps in a comment\n"
        '    g(width=2, h={"samples": 1, "webhook": None})\n    seed = image.height\n'
        "    show(width=3, height=4, seed=5)\n    fill(image, seed=seed)\n"
        "    return q.track_id\n"
    )
    assert spelled(sample) == {"seed", "strength", "samples", "webhook", "track_id"}
    assert spelled('params["strength"]\nShow(height=360)\n') == set()


def test_each_api_parameter_is_spelled_in_at_most_three_files() -> None:
    too_many = {name: files for name, files in spelling_files().items() if len(files) > LIMIT}
    assert not too_many, f"spelled in more than {LIMIT} files: {too_many}"


if __name__ == "__main__":
    for name, files in spelling_files().items():
        print(f"{name:20} {len(files):2}  {' '.join(files)}")


# -- adding a parameter is one edit ------------------------------------------------------
NEW_FIELD = """    clip_skip: int = api(
        "int",
        1,
        "CLIP skip",
        "How many of the text encoder's last layers to skip.",
        minimum=1,
        maximum=8,
        step=1,
    )
"""
ANCHOR = "\n\n@dataclass(frozen=True)\nclass Parameters("  # the end of the API's fields

# Run against the edited copy: every path a parameter takes, each read from the copy.
CHECK_NEW_FIELD = r"""
import inspect

from inpaint import ModelsLabClient, metadata
from inpaint.cli import build_parser, request_from
from inpaint.errors import ParameterError
from inpaint.params import parse_request
from inpaint.request import InpaintRequest
from inpaint.studio import FORM_FIELDS, Form, Studio, ui_spec
from inpaint.studio.generate import parameters

# The client's keyword arguments: published with type and default, and validated.
published = inspect.signature(ModelsLabClient.inpaint).parameters["clip_skip"]
assert (published.default, published.annotation, published.kind.name) == (
    1, int, "KEYWORD_ONLY"
), published
client = ModelsLabClient(api_key="k", base_url="http://127.0.0.1:9")
try:
    client.inpaint("photo.png", "mask.png", "a cat", clip_skip=9)
except ParameterError as exc:
    assert str(exc) == "clip_skip must be a whole number from 1 to 8 (got 9)", exc
else:
    raise AssertionError("clip_skip=9 was not refused")

# The wire: strict and typed from the client, lenient on the server.
request = InpaintRequest.from_values({"prompt": "a cat", "clip_skip": 3.0})
assert request.payload()["clip_skip"] == 3
assert parse_request({"prompt": "a cat", "clip_skip": "4"})["clip_skip"] == 4
assert parse_request({"prompt": "a cat"})["clip_skip"] == 1

# The PNG record and its reader (replay, the studio's "load parameters").
assert "clip_skip" in metadata.RECORDED and request.recorded()["clip_skip"] == 3
assert InpaintRequest.from_recorded({"prompt": "x", "clip_skip": 5}).clip_skip == 5

# The command line.
parser = build_parser()
assert "--clip-skip" in parser.format_help()
args = parser.parse_args(["--image", "a.png", "--out", "b.png", "--prompt=x", "--clip-skip=2"])
assert request_from(args).clip_skip == 2 and "--clip-skip=2" in request_from(args).cli_args()

# The studio: a slider, a form field, an argument of the public /inpaint endpoint.
assert "clip_skip" in ui_spec.SLIDERS
kind, slider = ui_spec.component_for("clip_skip")
assert (kind, slider["minimum"], slider["maximum"], slider["value"]) == ("Slider", 1, 8, 1)
assert any(p.name == "clip_skip" for p in parameters.SLIDERS)
assert "clip_skip" in FORM_FIELDS
assert Form.from_ui({"prompt": "x", "clip_skip": 6.0}).request().clip_skip == 6
assert "clip_skip" in inspect.signature(Studio.generate).parameters
print("clip_skip flows everywhere")
"""


def test_a_new_parameter_is_one_edit_of_the_declaration(tmp_path: Path) -> None:
    """Declare ``clip_skip`` in a copy of the package (one insertion in params.py, no
    other file touched): the client, wire, server, PNG record, CLI and studio all have it."""
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "inpaint"
    shutil.copytree(ROOT / "inpaint", copy, ignore=shutil.ignore_patterns("__pycache__"))
    declaration = copy / "params.py"
    text = declaration.read_text(encoding="utf-8")
    assert text.count(ANCHOR) == 1
    declaration.write_text(
        text.replace(ANCHOR, "\n" + NEW_FIELD.rstrip() + ANCHOR), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-c", CHECK_NEW_FIELD],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "clip_skip flows everywhere" in result.stdout
