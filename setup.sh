#!/usr/bin/env bash
# One-command setup: creates .venv/ and installs the pinned OpenMMLab stack plus this project (editable).
# Idempotent: a stamp of the inputs lets a second run finish in seconds. The mmcv 2.1.0 wheel (compiled ops,
# ~10 min to build on 2 cores) is cached outside the repo in $TRANSFER_BENCH_WHEELS.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=${PYTHON:-python3}
WHEELS=${TRANSFER_BENCH_WHEELS:-${XDG_CACHE_HOME:-$HOME/.cache}/transfer-bench/wheels}
STAMP=$VENV/.transfer-bench-setup
step() { CURRENT_STEP="$1"; echo "==> [setup] $1"; }
trap 'echo "setup failed during step: ${CURRENT_STEP:-start} (see the output above)" >&2' ERR

want=$(cat setup.sh pyproject.toml | sha256sum | cut -d" " -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/bench" ]; then
  echo "==> [setup] .venv is up to date"
  exit 0
fi

step "create virtual environment $VENV"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# pip notes about this machine's local index folders are noise: drop them, keep everything else
PIP=pip_quiet
pip_quiet() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }

step "install torch 2.14.1 + torchvision 0.29.1"
$PIP install -q torch==2.14.1 torchvision==0.29.1

step "install build tools (setuptools 80.10.2 keeps pkg_resources for mmengine/mmcv)"
$PIP install -q setuptools==80.10.2 wheel cython ninja

step "build or reuse the mmcv 2.1.0 wheel (compiled ops) in $WHEELS"
mkdir -p "$WHEELS"
tag=$("$VENV/bin/python" -c 'import sys, torch; print("cp%d%d-torch%s" % (sys.version_info[:2] + (torch.__version__.split("+")[0],)))')
whl_dir="$WHEELS/$tag"
if ! ls "$whl_dir"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
  src=$(mktemp -d)
  $PIP download -q mmcv==2.1.0 --no-deps --no-binary :all: -d "$src"
  tar xzf "$src"/mmcv-2.1.0.tar.gz -C "$src"
  # torch 2.14 headers need C++20
  sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' "$src/mmcv-2.1.0/setup.py"
  echo "    compiling mmcv ops: about 10 minutes on 2 cores, once per machine"
  mkdir -p "$whl_dir.tmp"
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} $PIP wheel -q --no-build-isolation --no-deps -w "$whl_dir.tmp" "$src/mmcv-2.1.0"
  rm -rf "$whl_dir" && mv "$whl_dir.tmp" "$whl_dir" && rm -rf "$src"
fi
$PIP install -q "$whl_dir"/mmcv-2.1.0-*.whl

step "install mmengine, mmdet, mmsegmentation and runtime dependencies"
$PIP install -q mmengine==0.10.7 mmdet==3.3.0 mmsegmentation==1.2.2 \
  "timm==1.0.*" pandas pytest pycocotools json_tricks munkres scipy matplotlib opencv-python pillow \
  ftfy regex safetensors submitit setuptools==80.10.2

step "build xtcocotools 1.14.3 from source (the PyPI wheel breaks with numpy 2)"
$VENV/bin/python -c "import xtcocotools.coco" 2>/dev/null || \
  $PIP install -q --no-build-isolation --no-binary xtcocotools xtcocotools==1.14.3

step "install mmpose 1.3.2 without chumpy"
$PIP install -q --no-deps mmpose==1.3.2

step "install the GOT-10k toolkit (got10k 0.1.3; tests compare the tracking metrics with it)"
$PIP install -q --no-deps got10k==0.1.3
$PIP install -q wget fire shapely

step "install transfer-bench (editable)"
$PIP install -q --no-build-isolation --no-deps -e .

step "check imports"
$VENV/bin/python -c "import mmcv.ops, mmdet.models, mmseg.models, mmpose.models, timm, bench, backbones"

echo "$want" > "$STAMP"
echo "==> [setup] done"
