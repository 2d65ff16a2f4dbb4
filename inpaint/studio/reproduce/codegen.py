""" "Copy as code": a request as a Python snippet, a curl script or a command line.

Pure functions of an ``InpaintRequest`` (the request knows its own forms:
``kwargs``, ``payload``, ``cli_args``), for the studio's Reproduce panel:

* ``python_snippet(request, base_url=None, offline=False, ...)``: a script
  using this library with only the values that differ from the defaults,
  saving PNGs that carry the parameters;
* ``curl_script(request, base_url=None, ...)``: a bash script for the raw API
  (upload both images with ``base64_to_url``, POST ``inpaint``, poll
  ``fetch/{id}``, print the output URLs); it needs bash, curl, base64 and
  python3 (to read the JSON answers);
* ``cli_command(request, base_url=None, offline=False, ...)``: the same
  request as a ``python -m inpaint`` command.

``base_url`` None (or the public API) leaves the choice to
``MODELSLAB_BASE_URL``; ``offline`` makes the Python and command-line forms
start the bundled local server themselves, so they run as shown without a key
(a temporary port of the studio's own server would be gone by then).

None of the outputs ever contains the API key: they read ``MODELSLAB_API_KEY``
when run. Every user string is quoted for its language (``repr`` for Python,
JSON inside ``shlex.quote`` for bash, ``shlex.quote`` for the command line),
so a prompt with quotes, newlines, ``$(...)`` or backticks is sent exactly as
typed and never executed.
"""

from __future__ import annotations

import json
import re
import shlex

from ...contract import DEFAULT_BASE_URL, normalise_base_url
from ...http import redact_url
from ...request import InpaintRequest


def _explicit_base(base_url: str | None) -> str | None:
    if not base_url:
        return None
    # Credentials written into the base URL stay on the server: shown as ***.
    base = redact_url(normalise_base_url(str(base_url)))
    return None if base == DEFAULT_BASE_URL else base


def python_snippet(
    request: InpaintRequest,
    *,
    base_url: str | None = None,
    offline: bool = False,
    image: str = "photo.png",
    mask: str = "mask.png",
    out: str = "result.png",
) -> str:
    """A runnable Python script that repeats ``request`` with the ``inpaint`` library."""
    base = None if offline else _explicit_base(base_url)
    if offline:
        client = "ModelsLabClient.offline()"
        where = [
            "# The bundled local server (a classical fill that ignores the prompt);",
            "# with a key, use ModelsLabClient() instead (MODELSLAB_API_KEY).",
        ]
    else:
        client = f"ModelsLabClient(base_url={base!r})" if base else "ModelsLabClient()"
        where = [
            "# Inpainting with the inpaint library (this project). The API key is read from",
            "# the MODELSLAB_API_KEY environment variable"
            + ("" if base else " (and MODELSLAB_BASE_URL, else ModelsLab's API)")
            + "; it is not written here.",
        ]
    kwargs = request.kwargs(changed_only=True)
    if request.extension.any:  # outpainting: the new area is the mask
        call = "outpaint"
        args = [repr(str(image))]
        for side in ("left", "top", "right", "bottom"):
            amount = kwargs.pop(f"extend_{side}", 0)
            if amount:
                kwargs[side] = amount
        kwargs.setdefault("prefill", request.prefill)  # outpaint's own default differs
        where.append("# An extension (outpainting): the new area is the mask, none is given.")
    else:
        call = "inpaint"
        args = [repr(str(image)), repr(str(mask))]
    args += [f"{name}={value!r}" for name, value in kwargs.items()]
    lines = [
        *where,
        "from inpaint import ModelsLabClient",
        "",
        f"with {client} as client:",
        f"    result = client.{call}(",
        *[f"        {arg}," for arg in args],
        "    )",
        f"for path in result.save({str(out)!r}):  # PNGs that carry these parameters",
        "    print(path)",
        "",
    ]
    return "\n".join(lines)


def cli_command(
    request: InpaintRequest,
    *,
    base_url: str | None = None,
    offline: bool = False,
    image: str = "photo.png",
    mask: str = "mask.png",
    out: str = "result.png",
) -> str:
    """``request`` as a ``python -m inpaint`` command (non-default flags only)."""
    inputs = [f"--image={image}"] + ([] if request.extension.any else [f"--mask={mask}"])
    words = ["python", "-m", "inpaint", *inputs, *request.cli_args()]
    base = _explicit_base(base_url)
    if offline:
        words.append("--offline")
    elif base:
        words.append(f"--base-url={base}")
    words.append(f"--out={out}")
    return shlex.join(words)


_CURL_TEMPLATE = r"""#!/usr/bin/env bash
# ModelsLab v6 inpainting with curl: upload the photo and the mask, start the job,
# wait for it, print the output URLs (one per line).
# Needs bash, curl, base64 and python3 (to read the JSON answers).
# The API key is read from $MODELSLAB_API_KEY and is not written in this file; it
# reaches curl on stdin, so it does not show in the process list either.
# Note: "only the masked area" (crop_to_mask) and paste-back are features of the
# inpaint library; the raw API is sent the whole picture and returns what the
# model made of it.
set -euo pipefail
: "${MODELSLAB_API_KEY:?set MODELSLAB_API_KEY to your API key}"
export MODELSLAB_API_KEY

BASE=__BASE__
IMAGE=__IMAGE__
MASK=__MASK__
# The request's parameters, as JSON.
PARAMS=__PARAMS__

api() {  # api NAME: POST the JSON on stdin to the endpoint NAME, print the answer
  curl -sS --connect-timeout 20 --max-time 300 -H 'Content-Type: application/json' \
    --data-binary @- "$BASE/v6/image_editing/$1"
}

field() {  # field NAME: one field of the JSON answer on stdin; stops on an error answer
  python3 -c '
import json, sys
try:
    answer = json.load(sys.stdin)
except ValueError:
    sys.exit("error: the API did not answer JSON")
if not isinstance(answer, dict) or answer.get("status") in ("error", "failed"):
    message = answer.get("message") or answer.get("messege") if isinstance(answer, dict) else ""
    sys.exit("error: " + str(message or answer))
value = answer.get(sys.argv[1])
print("\n".join(map(str, value)) if isinstance(value, list) else "" if value is None else value)
' "$1"
}

upload() {  # upload FILE: prints the temporary (24 h) URL of the uploaded file
  local mime=image/png
  case "$1" in
    *.jpg|*.jpeg|*.JPG|*.JPEG) mime=image/jpeg ;;
    *.webp|*.WEBP) mime=image/webp ;;
  esac
  { printf '{"key":"%s","init_image":"data:%s;base64,' "$MODELSLAB_API_KEY" "$mime"
    base64 < "$1" | tr -d '\n'
    printf '"}'; } | api base64_to_url | field output
}

request() {  # the inpaint body: the parameters, the key and the two image URLs
  python3 -c '
import json, os, sys
body = json.loads(sys.argv[1])
body.update(key=os.environ["MODELSLAB_API_KEY"], init_image=sys.argv[2], mask_image=sys.argv[3])
print(json.dumps(body))
' "$PARAMS" "$1" "$2"
}

echo "uploading $IMAGE and $MASK" >&2
INIT_URL=$(upload "$IMAGE")
MASK_URL=$(upload "$MASK")
echo "starting the job" >&2
ANSWER=$(request "$INIT_URL" "$MASK_URL" | api inpaint)
STATUS=$(printf '%s' "$ANSWER" | field status)
ID=$(printf '%s' "$ANSWER" | field id)
echo "job id: $ID ($STATUS)" >&2
DELAY=$(printf '%s' "$ANSWER" | field eta)
while [ "$STATUS" = processing ]; do
  DELAY=${DELAY%%.*}
  [[ "$DELAY" =~ ^[0-9]+$ ]] || DELAY=5
  if (( DELAY < 1 )); then DELAY=1; fi
  if (( DELAY > 15 )); then DELAY=15; fi
  if (( SECONDS > 900 )); then
    echo "still processing after 15 minutes: fetch job $ID later" >&2
    exit 5
  fi
  sleep "$DELAY"
  ANSWER=$(printf '{"key":"%s"}' "$MODELSLAB_API_KEY" | api "fetch/$ID")
  STATUS=$(printf '%s' "$ANSWER" | field status)
  DELAY=3
done
if [ "$STATUS" != success ]; then
  echo "error: unexpected status $STATUS" >&2
  exit 1
fi
# URLs are printed; base64 outputs (base64 "true") are saved as result-N.png.
printf '%s' "$ANSWER" | python3 -c '
import base64, json, sys
for number, item in enumerate(json.load(sys.stdin).get("output") or [], 1):
    if item.startswith(("http://", "https://")):
        print(item)
        continue
    name = "result-%d.png" % number
    with open(name, "wb") as out:
        out.write(base64.b64decode(item.split(",", 1)[-1]))
    print(name)
'
"""


def curl_script(
    request: InpaintRequest,
    *,
    base_url: str | None = None,
    image: str = "photo.png",
    mask: str = "mask.png",
) -> str:
    """A bash script that sends ``request`` to the raw API with curl.

    The script always uploads the images (``base64_to_url``), so the request's
    own transport does not switch base64 outputs on.
    """
    base = redact_url(normalise_base_url(str(base_url))) if base_url else DEFAULT_BASE_URL
    if request.extension.any:  # the raw API has no outpainting: the library does it
        request = request.replace(extend_left=0, extend_top=0, extend_right=0, extend_bottom=0)
        note = (
            "# This is an extension (outpainting), which the inpaint library does with several\n"
            "# jobs on a larger canvas (see the Python and command-line versions); the raw\n"
            "# API has no such request, so this script sends one plain inpainting job.\n"
        )
    else:
        note = ""
    params = json.dumps(request.replace(transport="upload").payload(), ensure_ascii=False)
    quoted = {"BASE": base, "IMAGE": str(image), "MASK": str(mask), "PARAMS": params}
    # One pass, so a value that happens to contain a marker is never substituted into.
    script = re.sub(
        r"__(BASE|IMAGE|MASK|PARAMS)__", lambda m: shlex.quote(quoted[m[1]]), _CURL_TEMPLATE
    )
    if note:
        head, rest = script.split("\n", 1)
        script = f"{head}\n{note}{rest}"
    return script
