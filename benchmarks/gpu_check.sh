#!/usr/bin/env bash
# The project's GPU check, one script, about 10 minutes on one GPU (run it on a GPU node after ./setup.sh, which
# builds mmcv with CUDA ops there):
#
#     benchmarks/gpu_check.sh [OUT]          # default OUT: gpu-check/ ; the table: OUT/gpu_check.md
#
# 1. `bench doctor --device cuda`: every compiled mmcv op the task configs use, on the GPU.
# 2. A short `bench run` of every task with a full-size backbone on CUDA (bf16 fast path), toy data in the real
#    layouts (`bench data toy`), random init (no downloads); pose once more with --compile.
# 3. benchmarks/train_throughput.py for ViT-B and Swin-B at the ViTPose protocol's per-GPU batch (512 over 8 GPUs
#    = 64), with and without --gpu-pipeline. Goals on one GPU: b/a >= 0.9, b/c >= 1.5.
# Each step has its own time limit and the script goes on after a failure; the table says pass/fail per step and
# the script exits 1 if any step failed. Nothing here runs in the tests (they must pass without a GPU).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-gpu-check}
BENCH=${BENCH:-.venv/bin/bench}
PY=${PY:-.venv/bin/python}
mkdir -p "$OUT"
TABLE="$OUT/gpu_check.md"
LOG="$OUT/gpu_check.log"
: > "$LOG"
failed=0
rows=()

step() {  # step NAME LIMIT_S CMD...: run CMD with a time limit, log it, record pass/fail and seconds
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  echo "==> $name: $*" | tee -a "$LOG"
  if timeout "$limit" "$@" >> "$LOG" 2>&1; then
    rows+=("| $name | ok | $((SECONDS - t0)) s |")
  else
    rows+=("| $name | FAILED (exit $?, see $LOG) | $((SECONDS - t0)) s |")
    failed=1
  fi
}

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_check: torch sees no GPU here; run this on a GPU machine (after ./setup.sh there)" >&2
  exit 2
fi

step "bench doctor --device cuda" 120 "$BENCH" doctor --device cuda

DATA="$OUT/data"
declare -A DATASET=([pose]=coco [depth]=nyu [detection]=coco [segmentation]=ade20k [tracking]=got10k
                    [classification]=cub)
declare -A BACKBONE=([pose]=sup-vit-b [depth]=simmim-swinv2-b [detection]=sup-swin-b [segmentation]=simmim-swin-b
                     [tracking]=simmim-swin-b [classification]=simmim-vit-b)
for task in pose depth detection segmentation tracking classification; do
  root="$DATA/$task"
  [ -d "$root" ] || "$BENCH" data toy --task "$task" --dataset "${DATASET[$task]}" --out "$root" >> "$LOG" 2>&1
  step "bench run $task (${BACKBONE[$task]}, toy, 1 epoch, bf16)" 240 "$BENCH" run --backbone "${BACKBONE[$task]}" \
    --task "$task" --dataset "${DATASET[$task]}" --protocol toy --data-root "$root" --epochs 1 --device cuda \
    --results "$OUT/results" --work-dir "$OUT/work/$task" --force
done
step "bench run pose --compile (sup-vit-b)" 300 "$BENCH" run --backbone sup-vit-b --task pose --protocol toy \
  --data-root "$DATA/pose" --epochs 1 --device cuda --compile --results "$OUT/results" --work-dir "$OUT/work/compile" \
  --force

THROUGHPUT="$OUT/throughput.md"
: > "$THROUGHPUT"
for backbone in sup-vit-b sup-swin-b; do
  for pipeline in "" --gpu-pipeline; do
    step "throughput $backbone vitpose batch 64 ${pipeline:-cpu pipeline}" 240 "$PY" benchmarks/train_throughput.py \
      --task pose --backbone "$backbone" --protocol vitpose --batch 64 --iters 20 --device cuda $pipeline \
      --markdown "$THROUGHPUT"
  done
done

{
  echo "## GPU check ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
  echo
  echo "Machine: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)"
  echo "Versions: $("$PY" -c 'import torch, mmcv, mmengine, mmpose, mmdet, mmseg; from mmcv.ops import get_compiling_cuda_version as v; print(f"torch {torch.__version__} (CUDA {torch.version.cuda}), mmcv {mmcv.__version__} (ops CUDA {v()}), mmengine {mmengine.__version__}, mmpose {mmpose.__version__}, mmdet {mmdet.__version__}, mmseg {mmseg.__version__}")' 2>/dev/null)"
  echo
  echo "| step | result | time |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Training throughput (img/s; benchmarks/train_throughput.py, 2 warm-up + 20 timed iterations each):"
  echo
  echo "| machine | backbone, protocol, batch | (a) bare | (b) bench run | (c) stock mmpose | b/a | b/c | data share b / c |"
  echo "|---|---|---|---|---|---|---|---|"
  cat "$THROUGHPUT"
} > "$TABLE"
cat "$TABLE"
exit $failed
