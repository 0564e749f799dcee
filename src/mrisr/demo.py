"""``mrisr demo``: the default methods (or the named ones) on a real MRI slice, no data needed.

The default input is the MNI152 2009a symmetric T1 template that nilearn
installs with its package (no download). The demo takes the axial mid slice,
normalises it robustly, pads it to a square and resizes it to 256x256, makes LR
images at each scale with the chosen degradation (default ``gaussian``: blur
with sigma = scale / 2 HR pixels then area averaging, which at 2x is the IXI
2x pipeline), quantised to 8 bits like stored LR images, and measures each
method with :mod:`mrisr.evaluation` (default: every registered method except the
shipped weights that are not defaults and the ensembles). It writes one figure
(HR, LR, outputs and error maps on a shared colour scale), ``metrics.csv`` and
``summary.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mrisr._atomic import atomic_path, atomic_write_text, check_output_dir
from mrisr.data.degrade import degrade
from mrisr.data.io import load_nifti, robust_normalise, volume_slice
from mrisr.data.resize import check_scale, resize
from mrisr.errors import InputError

logger = logging.getLogger(__name__)

#: nilearn's copy of the MNI152 2009a T1 template, relative to the nilearn package.
TEMPLATE = "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
SIZE = 256


def default_input() -> Path:
    """Path of the MNI152 T1 template shipped inside the installed nilearn package.

    Raises
    ------
    InputError
        If nilearn is missing or does not ship the file.
    """
    from importlib import resources

    try:
        path = Path(str(resources.files("nilearn").joinpath(TEMPLATE)))
    except ModuleNotFoundError:
        raise InputError("nilearn is not installed; pass --input NIFTI") from None
    if not path.is_file():
        raise InputError("nilearn does not ship the MNI152 template; pass --input NIFTI", path)
    return path


def demo_slice(path: str | Path, *, size: int = SIZE) -> np.ndarray:
    """The axial mid slice of a 3-D NIfTI volume as a (size, size) float32 image in [0, 1].

    The volume is reoriented to RAS so the slice is axial whatever the file's
    orientation, shown anterior up, resampled to square pixels, normalised
    (0.5/99.5 percentiles), zero-padded to a square and resized (anti-aliased
    bicubic) to ``size``.
    """
    import nibabel as nib

    img = nib.as_closest_canonical(load_nifti(path, ndim=3))
    sl = np.rot90(volume_slice(np.asanyarray(img.dataobj, dtype=np.float64), axis=2))
    zy, zx = float(img.header.get_zooms()[1]), float(img.header.get_zooms()[0])
    if not np.isclose(zy, zx):  # square pixels before padding
        base = min(zy, zx)
        sl = resize(sl, (round(sl.shape[0] * zy / base), round(sl.shape[1] * zx / base)))
    sl = robust_normalise(sl)
    if not sl.any():
        raise InputError("the mid slice is empty (all zero)", path)
    n = max(sl.shape)
    square = np.zeros((n, n), np.float32)
    top, left = (n - sl.shape[0]) // 2, (n - sl.shape[1]) // 2
    square[top : top + sl.shape[0], left : left + sl.shape[1]] = sl
    return resize(square, (size, size), kernel="bicubic", antialias=True, clip=True)


def run_demo(
    *,
    out_dir: str | Path = "mrisr-demo",
    scales: Sequence[float] = (2, 4),
    methods: Sequence[str] | None = None,
    progress: bool = True,
    input_path: str | Path | None = None,
    degradation: str = "gaussian",
    device: str | None = None,
) -> dict[str, Any]:
    """Run the demo and write its figure and tables into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created); nothing is written if anything fails.
    scales : sequence of float
        Upscaling factors, each in (1, 16].
    methods : sequence of str, optional
        Method specs; default every registered method except shipped weights
        marked as not default (the off-domain and multi-scale models). Methods
        that cannot be built at a scale are skipped (see ``skipped`` in the result).
    progress : bool
        Show progress bars.
    input_path : str or Path, optional
        A 3-D NIfTI volume; default the MNI152 T1 template from nilearn.
    degradation : str
        Name in :data:`mrisr.data.DEGRADATIONS` used to make the LR images.
    device : str, optional
        Torch device of the LIIF methods (:func:`mrisr.devices.parse_device`);
        default their own (the CPU).

    Returns
    -------
    dict
        ``input``, ``scales``, ``results`` (scale -> EvalResult), ``tables``
        (scale -> text table), ``skipped`` (scale -> {method: reason}) and the
        written ``figure``, ``csv`` and ``json`` paths.
    """
    from mrisr.data.degrade import DEGRADATIONS
    from mrisr.evaluation import build_methods, evaluate_images, format_table
    from mrisr.methods import available_methods, device_params

    scales = [check_scale(s) for s in scales]
    if not scales:
        raise ValueError("scales is empty")
    DEGRADATIONS.get(degradation)
    out = check_output_dir(out_dir)
    src = Path(input_path) if input_path is not None else default_input()
    if methods is None:
        from mrisr.weights import ensembles, index

        hidden = {m for e in index() if not e.default for m in e.methods} | {e.method for e in ensembles()}
        methods = [m for m in available_methods(runnable=True) if m not in hidden]
    names = list(methods)
    if not names:
        raise ValueError("no methods to run")
    hr = demo_slice(src)
    report: dict[str, Any] = {"input": str(src), "scales": scales, "results": {}, "tables": {},
                              "skipped": {}, "lr": {}, "outputs": {}}
    for s in scales:
        lr = degrade(hr, s, kind=degradation, quantise=True)
        built, report["skipped"][s] = build_methods(names, s, params={n: device_params(n, device) for n in names})
        if not built:
            raise InputError(f"no method could be built at x{s:g}: {report['skipped'][s]}")
        outputs: dict[str, np.ndarray] = {}
        res = evaluate_images([(src.name, hr, lr)], built, total=1, progress=progress,
                              keep_outputs=lambda m, _n, sr, o=outputs: o.__setitem__(m, sr))
        res.meta = {"input": str(src), "scale": s, "degradation": degradation, "methods": list(built)}
        report["results"][s], report["tables"][s] = res, format_table(res)
        report["lr"][s], report["outputs"][s] = lr, outputs
    out.mkdir(parents=True, exist_ok=True)
    report["figure"] = _write_figure(out / "demo.png", hr, report)
    report["csv"], report["json"] = _write_tables(out, report, degradation)
    return report


def _write_tables(out: Path, report: dict[str, Any], degradation: str) -> tuple[Path, Path]:
    """``metrics.csv`` (one row per scale and method) and ``summary.json``."""
    from mrisr.evaluation import per_image_csv
    from mrisr.evaluation.runner import METRIC_KEYS

    table = per_image_csv(report["results"].values(), ("scale", "method", *METRIC_KEYS, "seconds"))
    summary = {
        "input": report["input"],
        "degradation": degradation,
        "size": SIZE,
        "scales": {f"x{s:g}": {"summary": res.summary(), "skipped": report["skipped"][s]}
                   for s, res in report["results"].items()},
    }
    atomic_write_text(out / "metrics.csv", table)
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2))
    return out / "metrics.csv", out / "summary.json"


def _write_figure(path: Path, hr: np.ndarray, report: dict[str, Any]) -> Path:
    """One PNG: per scale a row of images (HR, LR, outputs) and a row of |error| maps."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    scales = report["scales"]
    labels = list(dict.fromkeys(m for s in scales for m in report["outputs"][s]))
    errs = [np.abs(sr - hr) for s in scales for sr in report["outputs"][s].values()]
    vmax = max(float(np.percentile(np.concatenate([e.ravel() for e in errs]), 99.5)), 1e-3)
    ncol = 2 + len(labels)
    fig = Figure(figsize=(2.2 * ncol + 1.0, 4.6 * len(scales)), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2 * len(scales), ncol, squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    err_im = None
    for i, s in enumerate(scales):
        top, bottom = axes[2 * i], axes[2 * i + 1]
        res = report["results"][s]
        _panel(top[0], hr, f"HR {hr.shape[0]}x{hr.shape[1]}")
        lr = report["lr"][s]
        _panel(top[1], lr, f"LR x{s:g} ({lr.shape[0]}x{lr.shape[1]})")
        bottom[1].text(0.5, 0.5, f"|SR - HR|\nx{s:g}", ha="center", va="center", transform=bottom[1].transAxes)
        for j, m in enumerate(labels, start=2):
            sr = report["outputs"][s].get(m)
            if sr is None:
                top[j].text(0.5, 0.5, f"{m}\nskipped at x{s:g}", ha="center", va="center",
                            transform=top[j].transAxes)
                continue
            p = res.values(m, "psnr")[0]
            _panel(top[j], np.clip(sr, 0, 1), f"{m}\n{p:.2f} dB")
            err_im = bottom[j].imshow(np.abs(sr - hr), cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
    if err_im is not None:
        fig.colorbar(err_im, ax=axes[1::2, :].ravel().tolist(), shrink=0.8, label="|SR - HR| (shared scale)")
    fig.suptitle(f"mrisr demo: {Path(report['input']).name}, axial mid slice")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def _panel(ax, img: np.ndarray, title: str) -> None:
    ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=8)
