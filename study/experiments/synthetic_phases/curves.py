"""Val PSNR (4x, 6 images) of the synthetic-phase fine-tuning runs and their control (writes curves.png here).

    python study/experiments/synthetic_phases/curves.py
"""

from dataclasses import replace
from pathlib import Path

from mrisr.report.figures import learning_curves_figure
from mrisr.report.logs import read_log

HERE = Path(__file__).parent
CK = HERE.parents[1] / "runs"  # study/runs/<run>/metrics.csv
RUNS = {
    "4x stored pairs (control)": "cpu_liif_smam_eem_x4_stored",
    "4x synthetic phases": "cpu_liif_smam_eem_x4_synth",
    "4x synthetic phases, stage 2": "cpu_liif_smam_eem_x4_synth2",
}

if __name__ == "__main__":
    curves = [read_log(f"{label}={CK / run / 'metrics.csv'}") for label, run in RUNS.items()]
    # stage 2 continues stage 1: draw it after stage 1's last point (the metrics count from each run's start)
    s1, s2 = curves[1], curves[2]
    curves[2] = replace(s2, hours=s2.hours + s1.hours[-1], epoch=s2.epoch + s1.epoch[-1])
    print(learning_curves_figure(HERE / "curves.png", curves))
