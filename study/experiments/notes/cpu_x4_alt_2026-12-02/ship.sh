#!/usr/bin/env bash
# Ships the second 4x lineage of 2026-12-02 and the output ensemble built on it (run from the repository root, IXI
# data beside it): exports the final EMA weights of cpu_liif_smam_eem_x4_from_offdomain as liif-x4-alt (not a
# default), measures them on val and writes the card and curves; then measures liif-x4-ens (the mean of liif-x4 and
# liif-x4-alt) on val beside its members and writes its card and index entry.
set -euo pipefail
D=../shared/data/ixi-t2-midslices C=checkpoints N=experiments/notes/cpu_x4_alt_2026-12-02
. experiments/notes/offdomain_chain.sh  # OFFDOMAIN_CHAIN, OFFDOMAIN_GPU
A="LIIF + SMAM (on the input) + EEM (Sobel) over an EDSR-baseline encoder,"
python scripts/ship_weights.py --run $C/cpu_liif_smam_eem_x4_from_offdomain --checkpoint last \
  --stem liif_smam_eem_x4_alt --methods liif-x4-alt --scales 4 --data $D --notes $N/x4_alt.md --no-default \
  "${OFFDOMAIN_CHAIN[@]}" --parent $C/cpu_liif_smam_eem_offdomain_distill10 \
  --parent $C/cpu_liif_smam_eem_offdomain_distill11 "${OFFDOMAIN_GPU[@]}" \
  --description "$A 4 x 128 MLP, residual over bicubic; a second, independent in-domain 4x model, made to be averaged with liif-x4 (liif-x4-ens): the off-domain model's chain (trained from scratch on 64 -> 128 pairs on the CPU and one GPU, then twelve CPU stages through its eleventh distillation stage, never on a 256-px image) fine-tuned on the CPU on synthetic 64 -> 256 pairs of the IXI train HR images at all 16 sampling phases."
python scripts/ship_ensemble.py --method liif-x4-ens --members liif-x4,liif-x4-alt --scale 4 --stem liif_x4_ens \
  --data $D --notes $N/x4_ens.md \
  --description "Output ensemble at 4x: the pixel-wise mean of liif-x4 and liif-x4-alt, two 4x models of independent lineages (no training stage shared); twice the inference time of one."
