#!/usr/bin/env bash
# Regenerates study/experiments/report_val (run from the repository root, IXI data beside it). Method results are cached
# (see mrisr report --help), so a rerun after a change to one model re-measures only that model.
set -euo pipefail
mrisr report --data ../shared/data/ixi-t2-midslices --split val --scales 2,4 \
  --methods bicubic,elrtv,liif-x2,liif-x4,liif-x4-mlp256,liif-x4-alt,liif-x4-ens,liif-ms-x2,liif-ms-x4,liif-offdomain-x4 \
  --out study/experiments/report_val \
  --logs liif_smam_eem_x2x4=study/models/liif_smam_eem_x2x4.metrics.csv \
    gpu_x2_L1_stage=study/runs/gpu_liif_smam_eem_x2/metrics.csv \
    gpu_x4_L1_stage=study/runs/gpu_liif_smam_eem_x4/metrics.csv \
    gpu_offdomain_64to128_L1_stage=study/runs/gpu_liif_smam_eem_offdomain/metrics.csv \
    cpu_x4_synthetic_stage1=study/runs/cpu_liif_smam_eem_x4_synth/metrics.csv \
    cpu_x4_synthetic_stage2=study/runs/cpu_liif_smam_eem_x4_synth2/metrics.csv \
    gpu_x2_synthetic_stage2=study/runs/gpu_liif_smam_eem_x2_synth2/metrics.csv \
    gpu_x4_synthetic_stage2=study/runs/gpu_liif_smam_eem_x4_synth2/metrics.csv \
    cpu_offdomain_mixed_stage_64to256=study/runs/cpu_liif_smam_eem_offdomain_mixed/metrics.csv \
    cpu_offdomain_distill4_stage_64to256=study/runs/cpu_liif_smam_eem_offdomain_distill4/metrics.csv
