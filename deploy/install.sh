#!/bin/sh
# The image's install recipe, in one place: the Dockerfile runs it, and so does
# tests/deploy/test_recipe.py in a fresh virtual environment (no container engine on CI).
#
#   install.sh deps VENV [cpu|gpu]  create VENV and install the dependencies from ./pyproject.toml
#                                   (plus the gpu extra for gpu) at the versions ./constraints.txt
#                                   pins, not the project itself, so the layer survives code edits
#   install.sh app VENV             install the project in the current folder into VENV, without
#                                   dependencies
#
# PYTHON names the interpreter that creates VENV (default: python3).
set -eu

usage() {
    echo "usage: install.sh deps VENV [cpu|gpu] | install.sh app VENV" >&2
    exit 2
}

[ $# -ge 2 ] || usage
step=$1
venv=$2

case "$step" in
deps)
    variant=${3:-cpu}
    case "$variant" in
    cpu) extras="" ;;
    gpu) extras="gpu" ;;
    *)
        echo "install.sh: VARIANT must be cpu or gpu, got '$variant'" >&2
        exit 2
        ;;
    esac
    # The pinned versions make a rebuild install what the last one did (`make lock` refreshes them).
    if [ ! -f constraints.txt ]; then
        echo "install.sh: constraints.txt is missing from $(pwd) (\`make lock\` writes it)" >&2
        exit 2
    fi
    "${PYTHON:-python3}" -m venv "$venv"
    # The requirements come straight from pyproject.toml, so the list cannot drift from it.
    "$venv/bin/python" - "$extras" >"$venv/requirements.txt" <<'PY'
import sys
import tomllib

with open("pyproject.toml", "rb") as file:
    project = tomllib.load(file)["project"]
wanted = list(project["dependencies"])
for extra in filter(None, sys.argv[1].split(",")):
    wanted += project["optional-dependencies"][extra]
print("\n".join(wanted))
PY
    "$venv/bin/python" -m pip install --requirement "$venv/requirements.txt" \
        --constraint constraints.txt
    ;;
app)
    # Editable, so training finds configs/ beside the source (training/config.py looks there).
    "$venv/bin/python" -m pip install --no-deps --editable .
    ;;
*)
    usage
    ;;
esac
