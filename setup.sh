#!/usr/bin/env bash
# One-command setup: creates .venv/ and installs exactly what requirements.lock pins (every package, with its
# sha256), then the one package built here, mmcv 2.1.0 with compiled ops, from its pinned sdist, and this project
# (editable). Idempotent: a stamp of the inputs lets a second run finish in seconds. The mmcv wheel (~10 min to
# build on 2 cores) is cached outside the repo in $TRANSFER_BENCH_WHEELS.
# Update the lock on purpose: edit requirements.in, then `make lock`.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=${PYTHON:-python3}
LOCK=requirements.lock
WHEELS=${TRANSFER_BENCH_WHEELS:-${XDG_CACHE_HOME:-$HOME/.cache}/transfer-bench/wheels}
STAMP=$VENV/.transfer-bench-setup
# mmcv's build inputs, pinned: the sdist (sha256 from PyPI), the C++20 patch (torch 2.14's headers need it), the
# build flags
MMCV_VERSION=2.1.0
MMCV_SDIST_SHA256=d387bcab66b467479b6660310e23746cfc79c6e57acf04094680adb499a5cd3f
MMCV_PATCH='s/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g'
MMCV_FLAGS="MMCV_WITH_OPS=1"
step() { CURRENT_STEP="$1"; echo "==> [setup] $1"; }
trap 'echo "setup failed during step: ${CURRENT_STEP:-start} (see the output above)" >&2' ERR

want=$(cat setup.sh pyproject.toml "$LOCK" | sha256sum | cut -d" " -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/bench" ]; then
  echo "==> [setup] .venv is up to date"
  exit 0
fi

step "create virtual environment $VENV"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# pip notes about this machine's local index folders are noise: drop them, keep everything else
PIP=pip_quiet
pip_quiet() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
# lock_part only|except NAME: the lock's requirement blocks (name==version + hashes) of NAME, or of all but NAME
lock_part() { awk -v mode="$1" -v pkg="$2" '/^#/ {next} /^[A-Za-z0-9]/ {cur=$0; sub(/==.*/, "", cur)}
                                           cur != "" && ((cur == pkg) == (mode == "only")) {print}' "$LOCK"; }

step "install the locked packages ($LOCK: exact versions, sha256 checked; torch's CUDA build is ~5 GB)"
lock_part except xtcocotools > "$VENV/.lock-main.txt"
$PIP install -q --require-hashes --no-deps -r "$VENV/.lock-main.txt"

step "build xtcocotools from its locked sdist (the PyPI wheel breaks with numpy 2)"
lock_part only xtcocotools > "$VENV/.lock-xtcocotools.txt"
$VENV/bin/python -c "import xtcocotools.coco" 2>/dev/null || \
  $PIP install -q --require-hashes --no-deps --no-build-isolation --no-binary xtcocotools \
    -r "$VENV/.lock-xtcocotools.txt"

step "build or reuse the mmcv $MMCV_VERSION wheel (compiled ops) in $WHEELS"
mkdir -p "$WHEELS"
tag=$("$VENV/bin/python" -c 'import sys, torch; print("cp%d%d-torch%s" % (sys.version_info[:2] + (torch.__version__.split("+")[0],)))')
whl_dir="$WHEELS/$tag"
if ! ls "$whl_dir"/mmcv-$MMCV_VERSION-*.whl >/dev/null 2>&1; then
  src=$(mktemp -d)
  $PIP download -q mmcv==$MMCV_VERSION --no-deps --no-binary :all: -d "$src"
  echo "$MMCV_SDIST_SHA256  $src/mmcv-$MMCV_VERSION.tar.gz" | sha256sum -c --quiet
  tar xzf "$src"/mmcv-$MMCV_VERSION.tar.gz -C "$src"
  sed -i "$MMCV_PATCH" "$src/mmcv-$MMCV_VERSION/setup.py"
  echo "    compiling mmcv ops: about 10 minutes on 2 cores, once per machine"
  mkdir -p "$whl_dir.tmp"
  env $MMCV_FLAGS MAX_JOBS=${MAX_JOBS:-2} "$VENV/bin/python" -m pip --disable-pip-version-check wheel -q \
    --no-build-isolation --no-deps -w "$whl_dir.tmp" "$src/mmcv-$MMCV_VERSION"
  rm -rf "$whl_dir" && mv "$whl_dir.tmp" "$whl_dir" && rm -rf "$src"
fi
$PIP install -q --no-deps "$whl_dir"/mmcv-$MMCV_VERSION-*.whl

step "install transfer-bench (editable)"
$PIP install -q --no-build-isolation --no-deps -e .

step "check imports"
$VENV/bin/python -c "import mmcv.ops, mmdet.models, mmseg.models, mmpose.models, timm, bench, backbones"

echo "$want" > "$STAMP"
echo "==> [setup] done"
