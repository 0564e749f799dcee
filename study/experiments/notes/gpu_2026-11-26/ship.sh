#!/usr/bin/env bash
# Ships the four models of the GPU session of 2026-11-26 (run from the repository root, IXI data beside it).
# Each call exports the L2 stage's final EMA weights, measures them on val and writes the card and curves.
# liif-x4 has since been replaced by the synthetic-phase stages: experiments/notes/cpu_synth_2026-11-26/ship.sh.
set -euo pipefail
D=../shared/data/ixi-t2-midslices C=checkpoints N=experiments/notes/gpu_2026-11-26
GPU="NVIDIA H100 80GB (torch 2.11.0+cu130), shared by 4 runs"
A="LIIF + SMAM (on the input) + EEM (Sobel) over an EDSR-baseline encoder,"
python scripts/ship_weights.py --run $C/gpu_liif_smam_eem_x2_l2 --checkpoint last --stem liif_smam_eem_x2 \
  --methods liif-x2 --scales 2 --data $D --notes $N/x2.md \
  --parent $C/cpu_liif_smam_eem_x2x4 --parent $C/cpu_liif_smam_eem_x2 --parent $C/cpu_liif_smam_eem_x2_l2 \
  --parent $C/gpu_liif_smam_eem_x2 --gpu-runs gpu_liif_smam_eem_x2,gpu_liif_smam_eem_x2_l2 --gpu "$GPU" \
  --description "$A 4 x 128 MLP, residual over bicubic; per-scale 2x model: the CPU-trained 2x model (multi-scale, then 2x L1 and L2 stages) trained further on one GPU (L1, then L2) on the stored IXI 2x pairs."
python scripts/ship_weights.py --run $C/gpu_liif_smam_eem_x4_l2 --checkpoint last --stem liif_smam_eem_x4 \
  --methods liif-x4 --scales 4 --data $D --notes $N/x4.md \
  --parent $C/cpu_liif_smam_eem_x2x4 --parent $C/cpu_liif_smam_eem_x4 --parent $C/cpu_liif_smam_eem_x4_ft2 \
  --parent $C/cpu_liif_smam_eem_x4_l2 --parent $C/gpu_liif_smam_eem_x4 \
  --gpu-runs gpu_liif_smam_eem_x4,gpu_liif_smam_eem_x4_l2 --gpu "$GPU" \
  --description "$A 4 x 128 MLP, residual over bicubic; per-scale 4x model: the CPU-trained 4x model (multi-scale, then three 4x stages) trained further on one GPU (L1, then L2) on the stored IXI 4x pairs."
python scripts/ship_weights.py --run $C/gpu_liif_smam_eem_x4_mlp256_l2 --checkpoint last \
  --stem liif_smam_eem_x4_mlp256 --methods liif-x4-mlp256 --scales 4 --data $D --notes $N/x4_mlp256.md --no-default \
  --parent $C/cpu_liif_smam_eem_x2x4 --parent $C/cpu_liif_smam_eem_x4 --parent $C/cpu_liif_smam_eem_x4_mlp256 \
  --parent $C/gpu_liif_smam_eem_x4_mlp256 --gpu-runs gpu_liif_smam_eem_x4_mlp256,gpu_liif_smam_eem_x4_mlp256_l2 \
  --gpu "$GPU" \
  --description "$A 4 x 256 MLP, residual over bicubic; per-scale 4x model with the study's wider decoder, grown from the 128-unit 4x model, trained on the CPU and then on one GPU (L1, then L2) on the stored IXI 4x pairs."
python scripts/ship_weights.py --run $C/gpu_liif_smam_eem_offdomain_l2 --checkpoint last \
  --stem liif_smam_eem_offdomain --methods liif-offdomain-x4 --scales 4 --data $D --notes $N/offdomain.md \
  --no-default --curve-tags x4_to_x2,x4 \
  --parent $C/cpu_liif_smam_eem_offdomain --parent $C/gpu_liif_smam_eem_offdomain \
  --gpu-runs gpu_liif_smam_eem_offdomain,gpu_liif_smam_eem_offdomain_l2 --gpu "$GPU" \
  --description "$A 4 x 128 MLP, residual over bicubic; off-domain model trained only on the stored IXI 64 -> 128 pairs (x4 against x2), on a 2-core CPU and then on one GPU, used at 64 -> 256."
