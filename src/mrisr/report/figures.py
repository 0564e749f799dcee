"""Report figures: qualitative comparisons and learning curves (matplotlib, Agg).

Figures are laid out in whole pixels and saved without tight bounding boxes,
so their PNG size is known in advance (:func:`qualitative_size`,
:data:`CURVES_SIZE`): one image panel is :data:`PANEL_PX` pixels, a 256x256
slice is shown at its native resolution.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from scipy import ndimage

from mrisr._atomic import atomic_path
from mrisr.errors import InputError
from mrisr.report.logs import Curve

logger = logging.getLogger(__name__)

DPI = 128
PANEL_PX = 256
GAP_PX = 8
LEFT_PX, RIGHT_PX, BOTTOM_PX = 8, 72, 8
SUPTITLE_PX, TITLE_PX = 40, 52
CBAR_GAP_PX, CBAR_PX = 14, 18
BOX_COLOUR = "#ffd400"
CURVES_SIZE = (1408, 544)  # width, height in pixels of the learning-curve figure
ERROR_CMAP = "jet"


# ---------------------------------------------------------------------------
# choices: images and boxes


def pick_images(
    names: list[str], selection: int | list[str] | None = None, *, default: int = 3
) -> list[str]:
    """Images for the qualitative figures.

    Parameters
    ----------
    names : list of str
        All image names of the split, any order.
    selection : int or list of str, optional
        A count (that many images spread evenly over the sorted names, first
        and last included) or explicit names. Default: ``default`` images.

    Raises
    ------
    InputError
        Names that are not in the split, or a count below 1.

    Names may be given with or without their suffix (``IXI013-HH-1212-T2``).
    """
    names = sorted(names)
    if isinstance(selection, list):
        by_key = {Path(n).stem: n for n in names} | {
            n: n for n in names
        }  # name with or without suffix
        unknown = [n for n in selection if n not in by_key]
        if unknown:
            raise InputError(f"--images: not in the split: {', '.join(unknown)} (e.g. {names[0]})")
        return list(dict.fromkeys(by_key[n] for n in selection))
    k = default if selection is None else int(selection)
    if k < 1:
        raise InputError(f"--images must be >= 1, got {k}")
    k = min(k, len(names))
    idx = np.unique(np.round(np.linspace(0, len(names) - 1, k)).astype(int))
    return [names[i] for i in idx]


def parse_box(text: str) -> tuple[int, int, int, int]:
    """``'y,x,h,w'`` -> a tuple of four ints (top, left, height, width) in HR pixels."""
    try:
        box = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--box must be four integers y,x,h,w, got {text!r}") from None
    if len(box) != 4 or box[0] < 0 or box[1] < 0 or box[2] < 2 or box[3] < 2:
        raise InputError(f"--box must be y,x,h,w with y,x >= 0 and h,w >= 2, got {text!r}")
    return box  # type: ignore[return-value]


def check_box(box: tuple[int, int, int, int], shape: tuple[int, int], name: str = "") -> None:
    """Raise InputError if ``box`` does not fit in an image of ``shape``."""
    y, x, h, w = box
    if y + h > shape[0] or x + w > shape[1]:
        where = f" of {name}" if name else ""
        raise InputError(
            f"--box {y},{x},{h},{w} does not fit the {shape[0]}x{shape[1]} image{where}"
        )


def auto_box(hr: np.ndarray, *, size: int | None = None) -> tuple[int, int, int, int]:
    """The square box (side ``size``, default a quarter of the short side) with most edge energy.

    Edge energy is the mean squared Sobel gradient of ``hr`` inside the box;
    the first maximum in raster order wins, so the choice is deterministic.
    """
    hr = np.asarray(hr, dtype=np.float64)
    size = size or max(8, min(hr.shape) // 4)
    size = min(size, *hr.shape)
    energy = ndimage.sobel(hr, axis=0) ** 2 + ndimage.sobel(hr, axis=1) ** 2
    mean = ndimage.uniform_filter(energy, size=size, mode="constant")
    half = size // 2
    valid = mean[half : hr.shape[0] - size + half + 1, half : hr.shape[1] - size + half + 1]
    y, x = np.unravel_index(int(np.argmax(valid)), valid.shape)
    return int(y), int(x), size, size


# ---------------------------------------------------------------------------
# qualitative figure


def qualitative_size(n_methods: int) -> tuple[int, int]:
    """PNG (width, height) in pixels of :func:`qualitative_figure` with ``n_methods`` outputs."""
    cols = 2 + n_methods
    width = LEFT_PX + cols * PANEL_PX + (cols - 1) * GAP_PX + CBAR_GAP_PX + CBAR_PX + RIGHT_PX
    height = SUPTITLE_PX + TITLE_PX + 3 * PANEL_PX + 2 * GAP_PX + BOTTOM_PX
    return width, height


def _panel(fig, col: int, row: int, size: tuple[int, int]):
    """Axes at grid cell (col, row); rows 0..2 from the top."""
    w, h = size
    left = LEFT_PX + col * (PANEL_PX + GAP_PX)
    top = SUPTITLE_PX + TITLE_PX + row * (PANEL_PX + GAP_PX)
    ax = fig.add_axes((left / w, 1 - (top + PANEL_PX) / h, PANEL_PX / w, PANEL_PX / h))
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _show(ax, img: np.ndarray, hr_shape: tuple[int, int], **kw):
    """imshow ``img`` stretched onto HR pixel coordinates (LR shows its own pixels)."""
    extent = (-0.5, hr_shape[1] - 0.5, hr_shape[0] - 0.5, -0.5)
    kw.setdefault("cmap", "gray")
    if kw["cmap"] == "gray":
        kw.setdefault("vmin", 0.0)
        kw.setdefault("vmax", 1.0)
    return ax.imshow(img, extent=extent, interpolation="nearest", **kw)


def _mark(ax, box, colour: str = BOX_COLOUR) -> None:
    from matplotlib.patches import Rectangle

    y, x, h, w = box
    ax.add_patch(Rectangle((x - 0.5, y - 0.5), w, h, fill=False, edgecolor=colour, linewidth=1.2))


def _zoom(ax, box) -> None:
    y, x, h, w = box
    ax.set_xlim(x - 0.5, x + w - 0.5)
    ax.set_ylim(y + h - 0.5, y - 0.5)
    for spine in ax.spines.values():
        spine.set_edgecolor(BOX_COLOUR)
        spine.set_linewidth(2.0)


def error_range(
    hr: np.ndarray, outputs: dict[str, np.ndarray], *, percentile: float = 99.5
) -> float:
    """Shared colour-bar maximum: the largest per-method ``percentile`` of |SR - HR|."""
    tops = [
        float(np.percentile(np.abs(np.clip(sr, 0, 1) - hr), percentile)) for sr in outputs.values()
    ]
    return max([1e-3, *tops])


def qualitative_figure(
    path: str | Path,
    hr: np.ndarray,
    lr: np.ndarray,
    outputs: dict[str, np.ndarray],
    *,
    box: tuple[int, int, int, int],
    title: str = "",
    captions: dict[str, str] | None = None,
) -> Path:
    """Save HR, LR and each method's output, zoomed insets and error maps.

    Row 1: full images with ``box`` marked; row 2: the box zoomed (LR at its
    own pixel size); row 3: |SR - HR| in the jet colour map, one colour bar
    shared by all methods (clipped at :func:`error_range`).

    Parameters
    ----------
    path : str or Path
        Output PNG (written atomically); size :func:`qualitative_size`.
    hr, lr : numpy.ndarray
        (H, W) and (h, w) float images in [0, 1].
    outputs : dict
        Method label -> SR image of ``hr.shape``.
    box : tuple
        (y, x, h, w) in HR pixels.
    title : str
        Figure title.
    captions : dict, optional
        Method label -> second title line (e.g. the image's PSNR/SSIM).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    check_box(box, hr.shape)
    size = qualitative_size(len(outputs))
    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.text(
        LEFT_PX / size[0], 1 - 10 / size[1], title, ha="left", va="top", fontsize=11, weight="bold"
    )
    vmax = error_range(hr, outputs)
    panels = [
        ("HR", hr, f"{hr.shape[0]}×{hr.shape[1]}"),
        ("LR", lr, f"{lr.shape[0]}×{lr.shape[1]}, own pixels"),
    ]
    panels += [
        (label, np.clip(sr, 0, 1), (captions or {}).get(label, "")) for label, sr in outputs.items()
    ]
    im_err = None
    for col, (label, img, caption) in enumerate(panels):
        ax = _panel(fig, col, 0, size)
        _show(ax, img, hr.shape)
        _mark(ax, box)
        ax.set_title(f"{label}\n{caption}" if caption else label, fontsize=8.5)
        _show(zax := _panel(fig, col, 1, size), img, hr.shape)
        _zoom(zax, box)
        eax = _panel(fig, col, 2, size)
        if col < 2:
            eax.axis("off")
            if col == 0:
                eax.text(
                    0.5,
                    0.5,
                    "error maps\n|SR − HR|\n(jet, shared scale)",
                    ha="center",
                    va="center",
                    fontsize=9,
                )
            continue
        im_err = _show(eax, np.abs(img - hr), hr.shape, cmap=ERROR_CMAP, vmin=0.0, vmax=vmax)
        _mark(eax, box, colour="white")
    if im_err is not None:
        _colour_bar(
            fig,
            im_err,
            size,
            extend=any(np.abs(np.clip(s, 0, 1) - hr).max() > vmax for s in outputs.values()),
        )
    return _save(fig, path)


def _colour_bar(fig, mappable, size: tuple[int, int], *, extend: bool) -> None:
    w, h = size
    cols = (w - LEFT_PX - CBAR_GAP_PX - CBAR_PX - RIGHT_PX + GAP_PX) // (PANEL_PX + GAP_PX)
    left = LEFT_PX + cols * (PANEL_PX + GAP_PX) - GAP_PX + CBAR_GAP_PX
    top = SUPTITLE_PX + TITLE_PX + 2 * (PANEL_PX + GAP_PX)
    cax = fig.add_axes((left / w, 1 - (top + PANEL_PX) / h, CBAR_PX / w, PANEL_PX / h))
    cb = fig.colorbar(mappable, cax=cax, extend="max" if extend else "neither")
    cb.set_label("|SR − HR|  (image range 0–1)", fontsize=8)
    cb.ax.tick_params(labelsize=7)


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=fig.dpi)
    return path


# ---------------------------------------------------------------------------
# learning curves


def learning_curves_figure(
    path: str | Path,
    curves: list[Curve],
    published: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> Path:
    """Val PSNR against epoch (left) and wall-clock hours (right), all runs on one plot.

    Published points (epoch only) are drawn as open markers on dashed lines.
    The PNG is :data:`CURVES_SIZE` pixels.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dpi = 128
    fig = Figure(figsize=(CURVES_SIZE[0] / dpi, CURVES_SIZE[1] / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax_e, ax_h = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.06, right=0.985, top=0.9, bottom=0.26, wspace=0.18)
    # ten colours, then the next ten curves dashed, then dotted: no two curves look alike up to 30
    styles = [(f"C{i % 10}", ("-o", "--s", ":^")[i // 10 % 3]) for i in range(len(curves))]
    for curve, (colour, fmt) in zip(curves, styles, strict=True):
        if curve.epoch is not None:
            order = np.argsort(curve.epoch, kind="stable")
            ax_e.plot(
                curve.epoch[order],
                curve.val_psnr[order],
                fmt,
                ms=3,
                color=colour,
                label=curve.label,
            )
        order = np.argsort(curve.hours, kind="stable")
        ax_h.plot(
            curve.hours[order], curve.val_psnr[order], fmt, ms=3, color=colour, label=curve.label
        )
    markers = "sD^vP*X"
    for i, (name, (ep, v)) in enumerate((published or {}).items()):
        ax_e.plot(
            ep,
            v,
            linestyle="--",
            marker=markers[i % len(markers)],
            ms=5,
            mfc="none",
            color="0.25",
            lw=0.9,
            label=f"published: {name}",
        )
    for ax, xlabel in ((ax_e, "epoch"), (ax_h, "wall-clock hours")):
        ax.set_xlabel(xlabel)
        ax.set_ylabel("validation PSNR (dB)")
        ax.grid(alpha=0.3)
        if not ax.get_legend_handles_labels()[0]:
            ax.text(
                0.5, 0.5, "no runs", ha="center", va="center", transform=ax.transAxes, color="0.5"
            )
    # one legend for both panels (they share runs and colours), below them
    handles, labels = ax_e.get_legend_handles_labels()
    for h, lab in zip(*ax_h.get_legend_handles_labels(), strict=True):
        if lab not in labels:
            handles.append(h)
            labels.append(lab)
    if handles:
        legend = fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=3, frameon=False)
        # raise the panels above the legend, however many rows it has (tick labels + axis label: ~0.12)
        height = legend.get_window_extent(fig.canvas.get_renderer()).height / fig.bbox.height
        fig.subplots_adjust(bottom=min(0.7, max(fig.subplotpars.bottom, height + 0.13)))
    ax_e.set_title("validation PSNR by epoch", fontsize=10)
    ax_h.set_title("validation PSNR by training time", fontsize=10)
    return _save(fig, path)
