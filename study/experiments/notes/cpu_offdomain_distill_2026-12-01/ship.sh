#!/usr/bin/env bash
# Ships the off-domain model of the CPU sessions of 2026-12-01 (run from the repository root, IXI data beside it):
# exports the final EMA weights of its tenth distillation stage (2026-12-02), measures them on val and writes the card
# and curves. (Earlier versions shipped the second, then the seventh distillation stage: see git history.)
# The teacher data of the distillation stages are remade with the commands in their configs.
set -euo pipefail
D=../shared/data/ixi-t2-midslices C=checkpoints N=experiments/notes/cpu_offdomain_distill_2026-12-01
. experiments/notes/offdomain_chain.sh  # OFFDOMAIN_CHAIN, OFFDOMAIN_GPU
A="LIIF + SMAM (on the input) + EEM (Sobel) over an EDSR-baseline encoder,"
python scripts/ship_weights.py --run $C/cpu_liif_smam_eem_offdomain_distill10 --checkpoint last \
  --stem liif_smam_eem_offdomain --methods liif-offdomain-x4 --scales 4 --data $D --notes $N/offdomain.md \
  --no-default --curve-tags x4,x4_to_x2 \
  "${OFFDOMAIN_CHAIN[@]}" "${OFFDOMAIN_GPU[@]}" \
  --description "$A 4 x 128 MLP, residual over bicubic; off-domain model: never sees a 256-px image. Trained on the stored IXI 64 -> 128 pairs (x4 against x2; CPU, then one GPU), then on the CPU through IXI's 2x operator (rendered at 256 px, degraded, compared with the 128-px target) mixed with self-similar 32 -> 128 pairs made from the 128-px images, then twice distilled from its own self-ensembled 64 -> 256 renderings of the train x4 images, then seven times from the 256-px renderings of the train x2 images by a 128 -> 256 teacher trained on self-similar 64 -> 128 pairs (as stored pairs, then as HR of synthetic 4x pairs at all 16 phases, then four times without the render batches, the last two from its self-ensembled renderings); used at 64 -> 256."
