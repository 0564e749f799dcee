#!/usr/bin/env bash
# Ships the three models of the GPU synthetic-phase session of 2026-11-26 (run from the repository root, IXI data
# beside it). Each call exports the final EMA weights of one model's second GPU synthetic-phase stage,
# measures them on val and writes the card and curves.
set -euo pipefail
D=../shared/data/ixi-t2-midslices C=checkpoints N=experiments/notes/gpu_synth_2026-11-26
GPU="NVIDIA H100 80GB (torch 2.11.0+cu130), shared by 4 runs (stored-pair stages) or 3 runs (synthetic-phase stages)"
A="LIIF + SMAM (on the input) + EEM (Sobel) over an EDSR-baseline encoder,"
python scripts/ship_weights.py --run $C/gpu_liif_smam_eem_x4_synth2 --checkpoint last --stem liif_smam_eem_x4 \
  --methods liif-x4 --scales 4 --data $D --notes $N/x4.md \
  --parent $C/cpu_liif_smam_eem_x2x4 --parent $C/cpu_liif_smam_eem_x4 --parent $C/cpu_liif_smam_eem_x4_ft2 \
  --parent $C/cpu_liif_smam_eem_x4_l2 --parent $C/gpu_liif_smam_eem_x4 --parent $C/gpu_liif_smam_eem_x4_l2 \
  --parent $C/cpu_liif_smam_eem_x4_synth --parent $C/cpu_liif_smam_eem_x4_synth2 --parent $C/gpu_liif_smam_eem_x4_synth \
  --gpu-runs gpu_liif_smam_eem_x4,gpu_liif_smam_eem_x4_l2,gpu_liif_smam_eem_x4_synth,gpu_liif_smam_eem_x4_synth2 --gpu "$GPU" \
  --description "$A 4 x 128 MLP, residual over bicubic; per-scale 4x model: the CPU-trained 4x model (multi-scale, then three 4x stages), trained further on one GPU (L1, then L2) on the stored IXI 4x pairs, then on synthetic 4x pairs at all 16 sampling phases (two CPU stages, two GPU stages)."
python scripts/ship_weights.py --run $C/gpu_liif_smam_eem_x4_mlp256_synth2 --checkpoint last \
  --stem liif_smam_eem_x4_mlp256 --methods liif-x4-mlp256 --scales 4 --data $D --notes $N/x4_mlp256.md --no-default \
  --parent $C/cpu_liif_smam_eem_x2x4 --parent $C/cpu_liif_smam_eem_x4 --parent $C/cpu_liif_smam_eem_x4_mlp256 \
  --parent $C/gpu_liif_smam_eem_x4_mlp256 --parent $C/gpu_liif_smam_eem_x4_mlp256_l2 \
  --parent $C/gpu_liif_smam_eem_x4_mlp256_synth \
  --gpu-runs gpu_liif_smam_eem_x4_mlp256,gpu_liif_smam_eem_x4_mlp256_l2,gpu_liif_smam_eem_x4_mlp256_synth,gpu_liif_smam_eem_x4_mlp256_synth2 \
  --gpu "$GPU" \
  --description "$A 4 x 256 MLP, residual over bicubic; per-scale 4x model with the study's wider decoder, grown from the 128-unit 4x model, trained on the CPU and then on one GPU (L1, then L2) on the stored IXI 4x pairs, then on one GPU on synthetic 4x pairs at all 16 sampling phases (two stages)."
python scripts/ship_weights.py --run $C/gpu_liif_smam_eem_x2_synth2 --checkpoint last --stem liif_smam_eem_x2 \
  --methods liif-x2 --scales 2 --data $D --notes $N/x2.md \
  --parent $C/cpu_liif_smam_eem_x2x4 --parent $C/cpu_liif_smam_eem_x2 --parent $C/cpu_liif_smam_eem_x2_l2 \
  --parent $C/gpu_liif_smam_eem_x2 --parent $C/gpu_liif_smam_eem_x2_l2 --parent $C/gpu_liif_smam_eem_x2_synth \
  --gpu-runs gpu_liif_smam_eem_x2,gpu_liif_smam_eem_x2_l2,gpu_liif_smam_eem_x2_synth,gpu_liif_smam_eem_x2_synth2 --gpu "$GPU" \
  --description "$A 4 x 128 MLP, residual over bicubic; per-scale 2x model: the CPU-trained 2x model (multi-scale, then 2x L1 and L2 stages), trained further on one GPU (L1, then L2) on the stored IXI 2x pairs, then on one GPU on synthetic 2x pairs at all 4 sampling phases (two stages)."
