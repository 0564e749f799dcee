#!/usr/bin/env bash
# Issue 27's GPU measurements, prepared to run once on a lent GPU (the device tool), about 3 minutes:
#
#     run(command="bash benchmarks/gpu_check.sh", timeout_s=540)
#
# LIIF inference, mrisr (one row per query chunk in CHUNKS) against the reference algorithm, one image and a batch
# of 16, median of 10 synchronised calls after a warm-up, peak GPU memory (benchmarks/liif_speed.py). Needs only
# torch, numpy and tqdm there (the package is put on the path, not installed). Writes gpu.txt and
# liif_speed_cuda.{txt,csv,jsonl} (the jsonl row by row, kept if the run is cut short) to $OUT (the device
# tool's folder that comes back), else benchmarks/results.
# DEVICE=cpu REPEATS=1 BATCH=1 CHUNKS=8192 tries it on a CPU.
set -euo pipefail
out="${OUT:-benchmarks/results}"
mkdir -p "$out"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
py=$(command -v python3)
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
  "$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
  git rev-parse --short HEAD 2>/dev/null || true; } | tee "$out/gpu.txt"
"$py" benchmarks/liif_speed.py --device "${DEVICE:-cuda}" --repeats "${REPEATS:-10}" --batch "${BATCH:-1,16}" \
    --train-steps 0 --chunk "${CHUNKS:-8192,32768,131072}" --csv "$out/liif_speed_cuda.csv" \
    2> >(tee "$out/liif_speed_cuda.jsonl" >&2) | tee "$out/liif_speed_cuda.txt"
