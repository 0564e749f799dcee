#!/usr/bin/env bash
# Ships liif-x4 after the two CPU synthetic-phase stages of 2026-11-26 (run from the repository root, IXI data
# beside it): exports stage 2's final EMA weights, measures them on val and writes the card and curves.
set -euo pipefail
D=../shared/data/ixi-t2-midslices C=checkpoints N=experiments/notes/cpu_synth_2026-11-26
GPU="NVIDIA H100 80GB (torch 2.11.0+cu130), shared by 4 runs"
A="LIIF + SMAM (on the input) + EEM (Sobel) over an EDSR-baseline encoder,"
python scripts/ship_weights.py --run $C/cpu_liif_smam_eem_x4_synth2 --checkpoint last --stem liif_smam_eem_x4 \
  --methods liif-x4 --scales 4 --data $D --notes $N/x4.md \
  --parent $C/cpu_liif_smam_eem_x2x4 --parent $C/cpu_liif_smam_eem_x4 --parent $C/cpu_liif_smam_eem_x4_ft2 \
  --parent $C/cpu_liif_smam_eem_x4_l2 --parent $C/gpu_liif_smam_eem_x4 --parent $C/gpu_liif_smam_eem_x4_l2 \
  --parent $C/cpu_liif_smam_eem_x4_synth \
  --gpu-runs gpu_liif_smam_eem_x4,gpu_liif_smam_eem_x4_l2 --gpu "$GPU" \
  --description "$A 4 x 128 MLP, residual over bicubic; per-scale 4x model: the CPU-trained 4x model (multi-scale, then three 4x stages), trained further on one GPU (L1, then L2) on the stored IXI 4x pairs, then on the CPU on synthetic 4x pairs at all 16 sampling phases (two stages)."
