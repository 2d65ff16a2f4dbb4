"""Each API parameter is declared once: its name is spelled in at most three source files.

The parameter list used to be written about nine times (client signature, form,
handlers, panels, CLI, metadata, server...), and the copies drifted. Now one
declaration (``inpaint.params``) drives all of them, and this test keeps it so.

How a file "spells" a name, read with ``tokenize`` (comments and prose in
docstrings never count):

* distinctive names (``num_inference_steps``, ``guidance_scale`` ...): any
  identifier with that name (an attribute, a keyword, a parameter, a variable)
  or a string literal that is exactly the name;
* generic words that are also everyday identifiers (``seed``, ``width``,
  ``height``, ``samples``, ``strength``, ``webhook``, ``base64``): only the
  quoted literal (``"seed"``) and the name as a keyword or parameter directly
  inside parentheses (``seed=1``, ``def f(seed: int)``). A local variable
  ``seed`` or ``image.width`` is not a spelling of the API parameter.

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
    brackets: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string in "([{":
            brackets.append(tok.string)
        elif tok.type == tokenize.OP and tok.string in ")]}" and brackets:
            brackets.pop()
        nxt = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if tok.type == tokenize.NAME:
            if tok.string in DISTINCTIVE:
                found.add(tok.string)
            elif tok.string in GENERIC and brackets[-1:] == ["("] and nxt in ("=", ":"):
                found.add(tok.string)
        elif tok.type == tokenize.STRING:
            try:
                value = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, str) and value in (*DISTINCTIVE, *GENERIC):
                found.add(value)
    return found


def spelling_files() -> dict[str, list[str]]:
    counts: dict[str, list[str]] = {name: [] for name in (*DISTINCTIVE, *GENERIC)}
    for path in source_files():
        for name in spelled(path.read_text(encoding="utf-8")):
            counts[name].append(str(path.relative_to(ROOT)))
    return counts


def test_the_rules_count_what_they_should() -> None:
    sample = (
        'def f(seed: int, x=1):\n    """seed and track_id in prose"""\n'
        "    # num_inference_steps in a comment\n"
        '    g(width=2, h={"samples": 1})\n    seed = image.height\n    return q.track_id\n'
    )
    assert spelled(sample) == {"seed", "width", "samples", "track_id"}


def test_each_api_parameter_is_spelled_in_at_most_three_files() -> None:
    too_many = {name: files for name, files in spelling_files().items() if len(files) > LIMIT}
    assert not too_many, f"spelled in more than {LIMIT} files: {too_many}"


if __name__ == "__main__":
    for name, files in spelling_files().items():
        print(f"{name:20} {len(files):2}  {' '.join(files)}")
