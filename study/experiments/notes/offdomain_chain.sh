# The off-domain model's training chain, oldest first, through its ninth distillation stage (sourced by the ship.sh
# files that ship it or a model grown from it): --parent flags for scripts/ship_weights.py, and its GPU stages.
OFFDOMAIN_CHAIN=()
for r in cpu_liif_smam_eem_offdomain gpu_liif_smam_eem_offdomain gpu_liif_smam_eem_offdomain_l2 \
    cpu_liif_smam_eem_offdomain_render cpu_liif_smam_eem_offdomain_mixed cpu_liif_smam_eem_offdomain_distill \
    cpu_liif_smam_eem_offdomain_distill2 cpu_liif_smam_eem_offdomain_distill3 cpu_liif_smam_eem_offdomain_distill4 \
    cpu_liif_smam_eem_offdomain_distill6 cpu_liif_smam_eem_offdomain_distill7 cpu_liif_smam_eem_offdomain_distill8 \
    cpu_liif_smam_eem_offdomain_distill9; do
  OFFDOMAIN_CHAIN+=(--parent "checkpoints/$r")
done
OFFDOMAIN_GPU=(--gpu-runs gpu_liif_smam_eem_offdomain,gpu_liif_smam_eem_offdomain_l2
               --gpu "NVIDIA H100 80GB (torch 2.11.0+cu130), shared by 4 runs")
