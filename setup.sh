#!/usr/bin/env bash
# One-command setup: creates .venv/ and installs exactly what requirements.lock pins (every package, with its
# sha256), then the one package built here, mmcv 2.1.0 with compiled ops, from its pinned sdist, and this project
# (editable). Idempotent: a stamp of the inputs lets a second run finish in seconds. The mmcv wheel (~10 min to
# build on 2 cores) is cached outside the repo in $TRANSFER_BENCH_WHEELS, keyed by Python, torch and (CUDA builds)
# the CUDA version and GPU architectures. Where torch sees a GPU the wheel gets CUDA ops for it; force either build
# with TRANSFER_BENCH_MMCV_BUILD=cuda|cpu (cuda without a GPU needs TORCH_CUDA_ARCH_LIST, e.g. 9.0): see
# bench/mmcv_build.py.
# Update the lock on purpose: edit requirements.in, then `make lock`.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=${PYTHON:-python3}
LOCK=requirements.lock
WHEELS=${TRANSFER_BENCH_WHEELS:-${XDG_CACHE_HOME:-$HOME/.cache}/transfer-bench/wheels}
STAMP=$VENV/.transfer-bench-setup
# mmcv's build inputs, pinned: the sdist (sha256 from PyPI), the C++20 patch (torch 2.14's headers need it)
MMCV_VERSION=2.1.0
MMCV_SDIST_SHA256=d387bcab66b467479b6660310e23746cfc79c6e57acf04094680adb499a5cd3f
MMCV_PATCH='s/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g'
step() { CURRENT_STEP="$1"; echo "==> [setup] $1"; }
trap 'echo "setup failed during step: ${CURRENT_STEP:-start} (see the output above)" >&2' ERR

want=$(cat setup.sh pyproject.toml "$LOCK" bench/mmcv_build.py | sha256sum | cut -d" " -f1)
want="$want ${TRANSFER_BENCH_MMCV_BUILD:-auto} ${TORCH_CUDA_ARCH_LIST:-}"
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
# CPU or CUDA ops, the architectures and the cache key: bench/mmcv_build.py (TRANSFER_BENCH_MMCV_BUILD=auto|cuda|cpu)
plan=$("$VENV/bin/python" bench/mmcv_build.py plan) || exit 2
eval "$plan"
echo "    $MMCV_REASON"
mkdir -p "$WHEELS"
whl_dir="$WHEELS/$MMCV_TAG"
if ! ls "$whl_dir"/mmcv-$MMCV_VERSION-*.whl >/dev/null 2>&1; then
  build_env="$MMCV_ENV"
  if [ "$MMCV_NVCC" = pypi ]; then
    echo "    no system nvcc of torch's CUDA version: installing NVIDIA's compiler packages (requirements-cuda-build.lock)"
    $PIP install -q --require-hashes --no-deps -r requirements-cuda-build.lock
    build_env="$build_env CUDA_HOME=$("$VENV/bin/python" bench/mmcv_build.py cuda-home "$VENV/cuda-build")"
  fi
  src=$(mktemp -d)
  $PIP download -q mmcv==$MMCV_VERSION --no-deps --no-binary :all: -d "$src"
  echo "$MMCV_SDIST_SHA256  $src/mmcv-$MMCV_VERSION.tar.gz" | sha256sum -c --quiet
  tar xzf "$src"/mmcv-$MMCV_VERSION.tar.gz -C "$src"
  sed -i "$MMCV_PATCH" "$src/mmcv-$MMCV_VERSION/setup.py"
  echo "    compiling mmcv ops ($MMCV_BUILD): about 10 minutes on 2 cores for the CPU build, once per machine and key"
  mkdir -p "$whl_dir.tmp"
  env $build_env MAX_JOBS=${MAX_JOBS:-2} "$VENV/bin/python" -m pip --disable-pip-version-check wheel -q \
    --no-build-isolation --no-deps -w "$whl_dir.tmp" "$src/mmcv-$MMCV_VERSION"
  rm -rf "$whl_dir" && mv "$whl_dir.tmp" "$whl_dir" && rm -rf "$src"
fi
$PIP install -q --no-deps --force-reinstall "$whl_dir"/mmcv-$MMCV_VERSION-*.whl
if [ "$MMCV_BUILD" = cuda ]; then
  "$VENV/bin/python" -c "from mmcv.ops import get_compiling_cuda_version as v; import sys; \
sys.exit(0 if v() != 'not available' else 'mmcv was built without CUDA ops: delete $whl_dir and rerun ./setup.sh')"
fi

step "install transfer-bench (editable)"
$PIP install -q --no-build-isolation --no-deps -e .

step "check imports"
$VENV/bin/python -c "import mmcv.ops, mmdet.models, mmseg.models, mmpose.models, timm, bench, backbones"

echo "$want" > "$STAMP"
echo "==> [setup] done"
