#!/usr/bin/env bash
# Ships the off-domain model of the CPU session of 2026-12-01 (run from the repository root, IXI data beside it):
# exports the final EMA weights of its second CPU stage (the third, L2, stage scored lower on val and is not shipped), measures them on val and writes the card and curves.
set -euo pipefail
D=../shared/data/ixi-t2-midslices C=checkpoints N=experiments/notes/cpu_offdomain_2026-12-01
GPU="NVIDIA H100 80GB (torch 2.11.0+cu130), shared by 4 runs"
A="LIIF + SMAM (on the input) + EEM (Sobel) over an EDSR-baseline encoder,"
python scripts/ship_weights.py --run $C/cpu_liif_smam_eem_offdomain_mixed --checkpoint last \
  --stem liif_smam_eem_offdomain --methods liif-offdomain-x4 --scales 4 --data $D --notes $N/offdomain.md \
  --no-default --curve-tags x4,x4_to_x2 \
  --parent $C/cpu_liif_smam_eem_offdomain --parent $C/gpu_liif_smam_eem_offdomain \
  --parent $C/gpu_liif_smam_eem_offdomain_l2 --parent $C/cpu_liif_smam_eem_offdomain_render \
  --gpu-runs gpu_liif_smam_eem_offdomain,gpu_liif_smam_eem_offdomain_l2 --gpu "$GPU" \
  --description "$A 4 x 128 MLP, residual over bicubic; off-domain model: never sees a 256-px image. Trained on the stored IXI 64 -> 128 pairs (x4 against x2; CPU, then one GPU), then on the CPU through IXI's 2x operator (rendered at 256 px, degraded, compared with the 128-px target) mixed with self-similar 32 -> 128 pairs made from the 128-px images; used at 64 -> 256."
