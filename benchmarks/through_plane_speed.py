"""Through-plane SR on a CPU: today's ``liif-selfsup`` against a reference commit, side by side in one run.

The volume is nilearn's MNI152 T1 template (``mrisr demo``'s input, 1 mm isotropic), scaled to [0, 1] and
thickened along axis 2 with a slice profile (``profile_matrix``, as in ``study/experiments/through_plane``):
2, 4 and 6 mm boxes and a 4 mm Gaussian. Each case runs in a fresh Python process per version (this checkout,
and the reference commit's ``src/`` exported with ``git archive``), with ``--threads`` torch threads, and
reports the time split: load (read the NIfTI), fit (the per-volume fine-tune, base model included), render
(the rest of ``upscale_through_plane``: planes, averaging, encoding) and write (``.nii.gz``), with PSNR over
the volume and inside the head against the 1 mm truth. The ``2.5 mm e2e`` case is the command line end to
end (``mrisr upscale IN --isotropic -o OUT``, process start included). ``--noise`` adds Rician noise to the thick
volume (a real scan's background, which the constant-background crop cannot skip). ``--repeats N`` runs each case N
times, the two versions interleaved, and reports the median run with the range of totals (one code's time moved by
up to a quarter between runs on the 2-core machine). ``--steps 0`` skips the fine-tuning (renderings alone). Target
(issue 27): 90 s or less per volume on 2 cores, PSNR within 0.1 dB of the reference or above.

    python benchmarks/through_plane_speed.py --reference d89736f --out benchmarks/results/through_plane_speed
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: (label, factor, profile, end to end through the command line)
CASES = [("2 mm box", 2.0, "box", False), ("4 mm box", 4.0, "box", False),
         ("4 mm Gaussian", 4.0, "gaussian", False), ("6 mm box", 6.0, "box", False),
         ("2.5 mm e2e", 2.5, "box", True)]

# Runs in a child process against one version of mrisr (PYTHONPATH); prints one JSON line.
CHILD = r"""
import json, subprocess, sys, time
import nibabel as nib, numpy as np, torch
from mrisr.classical.operators import profile_matrix
from mrisr.demo import default_input
factor, profile, e2e, tmp, noise = float(sys.argv[1]), sys.argv[2], sys.argv[3] == "1", sys.argv[4], float(sys.argv[5])
steps = int(sys.argv[6])  # liif-selfsup's most fine-tuning steps; -1: its default
hr = np.asarray(nib.load(default_input()).dataobj, dtype=np.float64)
hr /= hr.max()
n_lr = int(hr.shape[2] // factor)
n_hr = int(round(n_lr * factor))
hr = hr[:, :, :n_hr]
lr = np.einsum("ijk,lk->ijl", hr, profile_matrix(n_hr, n_lr, profile=profile, thickness=1.0))
if noise:  # Rician, as a magnitude image: no constant background left
    rng = np.random.default_rng(0)
    lr = np.hypot(lr + rng.normal(0, noise, lr.shape), rng.normal(0, noise, lr.shape))
src, dst = f"{tmp}/thick.nii.gz", f"{tmp}/out.nii.gz"
nib.save(nib.Nifti1Image(lr.astype(np.float32), np.diag([1.0, 1.0, n_hr / n_lr, 1.0])), src)
rec = {}
if e2e:
    t = time.perf_counter()
    cmd = [sys.executable, "-c", "import sys; from mrisr.cli.main import main; sys.exit(main(sys.argv[1:]))",
           "upscale", src, "--isotropic", "--slice-profile", profile, "-o", dst]
    cmd += ["--selfsup-steps", str(steps)] if steps >= 0 else []
    subprocess.run(cmd, check=True, capture_output=True)
    rec["total"] = time.perf_counter() - t
else:
    import mrisr.volume.through_plane as tp
    from mrisr import upscale_through_plane
    fit = tp.fit_through_plane_model
    def timed(*a, **k):
        t = time.perf_counter(); m = fit(*a, **k); rec["fit"] = time.perf_counter() - t
        rec["steps"] = m.info["selfsup"].get("stopped_at", m.info["selfsup"]["steps"]); return m
    tp.fit_through_plane_model = timed
    t0 = time.perf_counter(); img = nib.load(src); img.get_fdata(); rec["load"] = time.perf_counter() - t0
    t = time.perf_counter()
    out = upscale_through_plane(img, factor=n_hr / n_lr, profile=profile, progress=False,
                                params={"steps": steps} if steps >= 0 else None)
    rec["render"] = time.perf_counter() - t - rec["fit"]
    t = time.perf_counter(); nib.save(out, dst); rec["write"] = time.perf_counter() - t
    rec["total"] = time.perf_counter() - t0
sr = np.clip(np.asarray(nib.load(dst).dataobj, dtype=np.float64), 0, 1)
head = hr > 0
from scipy.ndimage import binary_dilation
head = binary_dilation(head, iterations=2)
rec["psnr"] = float(10 * np.log10(1 / np.mean((sr - hr) ** 2)))
rec["psnr_head"] = float(10 * np.log10(1 / np.mean((sr[head] - hr[head]) ** 2)))
print(json.dumps(rec))
"""


def _export(commit: str, into: Path) -> Path:
    """The reference commit's ``src/`` under ``into`` (``git archive``; nothing in the checkout changes)."""
    tar = into / "ref.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(tar), commit, "src"], check=True)
    with tarfile.open(tar) as fh:
        fh.extractall(into, filter="data")
    return into / "src"


def _run(src: Path, case, threads: int, noise: float = 0.0, steps: int | None = None) -> dict:
    _, factor, profile, e2e = case
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", CHILD, str(factor), profile, "1" if e2e else "0", tmp, str(noise),
                              str(-1 if steps is None else steps)],
                             env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{case[0]} with {src} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median_run(runs: list[dict]) -> dict:
    """The run with the median total (the lower one of an even count), with every run's total in ``totals``."""
    r = sorted(runs, key=lambda x: x["total"])[(len(runs) - 1) // 2]
    return {**r, "totals": [x["total"] for x in runs]}


def _row(label: str, who: str, r: dict) -> str:
    cells = [f"{r[k]:.1f}" if k in r else "" for k in ("load", "fit", "render", "write")]
    steps = str(r.get("steps", ""))
    spread = f" ({min(r['totals']):.1f}-{max(r['totals']):.1f})" if len(r.get("totals", ())) > 1 else ""
    return (f"| {label} | {who} | {' | '.join(cells)} | {steps} | **{r['total']:.1f}**{spread} | {r['psnr']:.2f} | "
            f"{r['psnr_head']:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", default="d89736f", help="commit to compare with ('none': this checkout only)")
    ap.add_argument("--cases", default="all", help="comma-separated labels (default all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--noise", type=float, default=0.0,
                    help="Rician noise sigma added to the thick volume (its background is then not constant)")
    ap.add_argument("--repeats", type=int, default=1,
                    help="runs per case and version, interleaved; the row is the median run, with the range of totals")
    ap.add_argument("--steps", type=int, help="liif-selfsup's most fine-tuning steps (default its own; 0 renders "
                                               "the shipped base without fitting, to compare renderings alone)")
    ap.add_argument("--out", help="write OUT.md and OUT.json")
    args = ap.parse_args()
    cases = CASES if args.cases == "all" else [c for c in CASES if c[0] in args.cases.split(",")]
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src"], capture_output=True,
                           text=True).stdout.strip()
    here = f"{head}{'+changes' if dirty else ''}"
    lines = [f"# Through-plane liif-selfsup: seconds per volume, {args.threads} threads, {platform.machine()} CPU "
             f"({os.cpu_count()} cores), MNI152 T1 template thickened along axis 2", "",
             f"`python benchmarks/through_plane_speed.py --reference {args.reference}"
             f"{f' --noise {args.noise:g}' if args.noise else ''}{f' --repeats {args.repeats}' if args.repeats > 1 else ''}"
             f"{f' --steps {args.steps}' if args.steps is not None else ''}"
             f"{f' --cases {chr(34)}{args.cases}{chr(34)}' if args.cases != 'all' else ''}`;"
             f" this checkout: {here}." + (f" Median of {args.repeats} runs (range of totals)." if args.repeats > 1 else "")
             + (f" Rician noise of sigma {args.noise:g} on the thick volume; PSNR against the noise-free truth."
                if args.noise else ""), "",
             "| case | version | load | fit | render | write | steps | total s | PSNR | PSNR head |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        ref = None if args.reference == "none" else _export(args.reference, Path(tmp))
        versions = [(w, s) for w, s in (("reference " + args.reference, ref), ("this checkout", ROOT / "src")) if s]
        for case in cases:
            runs = {who: [] for who, _ in versions}
            for _ in range(args.repeats):  # interleaved, so that a slow spell of the machine hits both versions
                for who, src in versions:
                    t = time.perf_counter()
                    runs[who].append(_run(src, case, args.threads, args.noise, args.steps))
                    print(f"{case[0]}, {who}: {runs[who][-1]} ({time.perf_counter() - t:.0f} s)", flush=True)
            for who, _ in versions:
                r = _median_run(runs[who])
                results.append({"case": case[0], "version": who, **r})
                lines.append(_row(case[0], who, r))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(f"{args.out}.md").write_text(text)
        Path(f"{args.out}.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
