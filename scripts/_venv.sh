# Sourced by scripts/app and scripts/test: make .venv and keep it in step
# with a requirements file (reinstalls only when the file changes).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
reqs="$1"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($python --version)" >&2
  "$python" -m venv .venv
fi
stamp=".venv/.installed-$(basename "$reqs")"
digest="$(cat requirements*.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  echo "Installing $reqs into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip >&2
  .venv/bin/python -m pip install --quiet -r "$reqs" >&2
  # The project itself, editable: `import inpaint` and the `inpaint` command work
  # from any directory with this venv's python.
  .venv/bin/python -m pip install --quiet --no-deps -e . >&2
  echo "$digest" > "$stamp"
fi
