"""Through-plane super-resolution: more slices for a thick-slice volume.

A 2-D multi-slice MRI acquisition has fine in-plane voxels and thick slices,
and each slice averages the anatomy over its slice profile. To add slices, the
volume is cut into the 2-D planes that contain the slice axis (for slice axis 2:
the planes along axis 0 and those along axis 1), each plane is upscaled along
the slice axis only, and the two stacks are averaged. Every output voxel is
therefore estimated twice, from two orthogonal views.

The default, ``'liif-selfsup'`` (:mod:`mrisr.volume.selfsup`), fine-tunes the
shipped through-plane base ``liif-slices`` on the volume's own in-plane slices,
thickened along one axis with the acquisition's slice profile (stopping when
held-out slices stop improving), and then renders the planes; on a simulated
thick-slice MNI volume it beat ELRTV by 1.3 to 3.7 dB at 2x to 6x (the
repository's ``docs/results.md``, "Through-plane"; times in
``benchmarks/results/through_plane_speed_blocks8b.md``). Only the columns of each block of
planes that rise above the background (a constant one, or a few noise sigmas of a
noisy one) are rendered, and for a LIIF model only the slices that do
(:func:`render_box`); the rest is interpolated.

Methods that take a degradation operator (ELRTV) are told the acquisition: a
``slice_profile`` operator (:func:`mrisr.classical.operators.profile_matrix`)
that averages the fine grid over a box of the slice thickness (or a Gaussian
with that full width at half maximum) around each slice centre, and leaves the
in-plane axis untouched. Plain ``'elrtv'`` uses the through-plane presets
(``presets/elrtv_slices_x2.yaml``, ``..._x4.yaml``), tuned for this operator
on IXI training slices thickened along one axis: the fast choice, with no
training. Interpolation methods need no model. The shipped LIIF models as they
are learned IXI's in-plane blur on both axes and are not suited to this
degradation; they run, with a warning.

The intensity map, storage types and header policy are those of
:mod:`mrisr.volume.core`; the field of view is kept, so the slice spacing is
divided by ``n_out / n_in`` and the slab keeps its extent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mrisr._outputs import check_output_file
from mrisr.data.io import NIFTI_SUFFIXES
from mrisr.data.resize import check_scale
from mrisr.volume.intensity import IntensityMap, encode
from mrisr.volume.pipeline import (
    apply_method,
    build_method,
    check_batch_size,
    process,
    read_source,
    read_volume,
    storage_for,
    to_image,
    write_volume,
)
from mrisr.volume.selfsup import (
    BASE,
    TRAINED_ON,
    SelfSupConfig,
    fit_through_plane_model,
    save_fitted,
)

logger = logging.getLogger(__name__)


#: voxels of background kept on each side of the anatomy when planes are cropped (:func:`foreground_span`)
CROP_MARGIN = 8


#: a noisy background (no constant value outside the anatomy) counts as background up to this many noise
#: sigmas above the volume's minimum (Rayleigh noise passes 6 sigmas once in 6.6e7 voxels)
NOISE_SIGMAS = 6.0
#: ... when at least this fraction of those planes is dark background (else nothing counts as background)
MIN_DARK = 0.05


def background_floor(raw: np.ndarray, axis: int) -> float:
    """The stored value at or below which a voxel counts as background (:func:`foreground_span`).

    The volume's minimum where that is a constant background (held by at least 1 % of the voxels: a masked,
    skull-stripped or padded volume). Otherwise the background is noise (a magnitude image's Rician floor):
    the minimum plus :data:`NOISE_SIGMAS` noise sigmas, read (:func:`mrisr.data.inspect.noise_level`) from
    the dark parts of five planes across ``axis``, the in-plane images; the minimum again where those planes
    are less than :data:`MIN_DARK` dark.
    """
    from mrisr.data.inspect import noise_level

    lo, hi = float(raw.min()), float(raw.max())
    if hi <= lo or np.count_nonzero(raw == lo) >= 0.01 * raw.size:
        return lo
    index = np.linspace(0, raw.shape[axis] - 1, 7).round().astype(int)[1:-1]
    sigma, dark = np.median([noise_level((np.take(raw, i, axis=axis) - lo) / (hi - lo)) for i in index], axis=0)
    if dark < MIN_DARK:  # no background to read the noise from: render everything
        return lo
    return lo + NOISE_SIGMAS * float(sigma) * (hi - lo)


def foreground_span(planes: np.ndarray, floor: float, margin: int = CROP_MARGIN) -> slice | None:
    """The columns of a block of planes that hold anything above the background ``floor``, grown by ``margin``.

    A masked or skull-stripped volume (or one padded to a larger field of view)
    holds exactly one value, its minimum, outside the anatomy; nnU-Net crops such
    volumes to their non-zero box before inference, and so does the through-plane
    path, per block of planes: only these columns are rendered (the slice axis is
    whole), the rest is interpolated linearly, which for a constant background
    gives that constant. For a noisy background :func:`background_floor` sets
    the floor a few noise sigmas up.

    Parameters
    ----------
    planes : (B, W, n) array
        Stored values of ``B`` planes: ``W`` in-plane columns, ``n`` slices.
    floor : float
        The background's highest stored value (:func:`background_floor`).
    margin : int
        Background columns kept on each side, so the model sees the anatomy's edge in context.

    Returns
    -------
    slice or None
        The columns to render; None when the block is background only.
    """
    hit = np.flatnonzero((planes > floor).any(axis=(0, 2)))
    if not hit.size:
        return None
    return slice(max(0, int(hit[0]) - margin), min(planes.shape[1], int(hit[-1]) + 1 + margin))


def slice_span(planes: np.ndarray, floor: float, n_out: int, margin: int = CROP_MARGIN) -> tuple[slice, slice]:
    """The input slices of a block of (column-cropped) planes that hold anything above ``floor``, grown by
    ``margin``, and the output slices they render to.

    The span is widened to whole periods of the factor ``n_out / n`` (in lowest terms ``p / q``: ``q`` input
    slices make exactly ``p`` output slices), so the output slices of the span sit on the volume's grid: the
    crop ``[lo, hi)`` renders to ``[lo * p / q, hi * p / q)``. When ``q`` is large the span is the whole axis.

    Parameters
    ----------
    planes : (B, W, n) array
        Stored values; at least one above ``floor`` (:func:`foreground_span` found some).
    floor : float
        The background's highest stored value.
    n_out : int
        Output slices of the whole axis.
    margin : int
        Background slices kept on each side.

    Returns
    -------
    (slice, slice)
        Input slices, output slices.
    """
    from fractions import Fraction

    n = planes.shape[2]
    ratio = Fraction(n_out, n)
    q = ratio.denominator  # divides n, since n * ratio is an integer
    span = foreground_span(np.swapaxes(planes, 1, 2), floor, margin)  # the slices as the columns
    lo, hi = span.start // q * q, min(n, -(-span.stop // q) * q)
    return slice(lo, hi), slice(int(lo * ratio), int(hi * ratio))


def render_box(planes: np.ndarray, floor: float, n_out: int, slices: bool) -> tuple[slice, slice, slice] | None:
    """What of a block of planes ``(B, W, n)`` to render: (columns, input slices, output slices).

    The columns are :func:`foreground_span`'s; with ``slices``, the slice axis is cropped too
    (:func:`slice_span`), else whole. None when the block is background only. The through-plane path crops
    the slice axis for LIIF models only: their output depends on a neighbourhood of the input (a finite
    receptive field), and their rendering is the time a crop saves.
    """
    cols = foreground_span(planes, floor)
    if cols is None:
        return None
    rows, out = slice_span(planes[:, cols], floor, n_out) if slices else (slice(0, planes.shape[2]), slice(0, n_out))
    return cols, rows, out


def _zooms(img: Any) -> np.ndarray:
    z = np.asarray(img.header.get_zooms()[:3], dtype=np.float64)
    return z if z.shape == (3,) and np.isfinite(z).all() and (z > 0).all() else np.ones(3)


def slice_plan(
    in_shape: Sequence[int],
    zooms: Sequence[float],
    *,
    axis: int | None = None,
    factor: float | None = None,
    spacing: float | None = None,
) -> tuple[int, tuple[int, int, int], float]:
    """Slice axis, output shape and effective factor of a through-plane upscaling.

    Parameters
    ----------
    in_shape : sequence of int
        Input shape (3 entries).
    zooms : sequence of float
        Voxel sizes (mm) of the three axes.
    axis : {0, 1, 2}, optional
        The slice axis; default the axis with the largest voxel size.
    factor : float, optional
        How many times more slices, in [1, 16]; each slice becomes ``factor``.
    spacing : float, optional
        Target slice spacing in mm instead of ``factor``. With neither given,
        the smaller in-plane voxel size (an isotropic result).

    Returns
    -------
    axis : int
    shape : tuple of int
        Input shape with ``round(n * factor)`` slices along ``axis``.
    factor : float
        The effective factor ``n_out / n_in``.
    """
    z = np.asarray(zooms, dtype=np.float64)
    if axis is None:
        order = np.argsort(z)
        if np.isclose(z[order[2]], z[order[1]], rtol=1e-3):
            raise ValueError(f"voxels of {z[0]:g} x {z[1]:g} x {z[2]:g} mm have no single thickest axis; give axis")
        axis = int(order[2])
    if isinstance(axis, bool) or axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}")
    if factor is not None and spacing is not None:
        raise ValueError("give at most one of factor and spacing")
    if factor is None:
        target = min(z[a] for a in range(3) if a != axis) if spacing is None else float(spacing)
        if not (np.isfinite(target) and target > 0):
            raise ValueError(f"spacing must be > 0 mm, got {spacing!r}")
        factor = z[axis] / target
        if factor < 1 and not np.isclose(factor, 1.0):
            raise ValueError(
                f"slice spacing {z[axis]:g} mm is already finer than the target {target:g} mm; this tool only upscales"
            )
    factor = float(factor)
    if not np.isclose(factor, 1.0):
        check_scale(factor)
    shape = [int(n) for n in in_shape[:3]]
    n_in = shape[axis]
    shape[axis] = max(n_in, int(round(n_in * factor)))
    return axis, (shape[0], shape[1], shape[2]), shape[axis] / n_in


def _method_spec(method: Any, params: dict | None, profile: str, thickness: float, factor: float):
    """``(method, scale, params)`` to build: a method whose record takes an operator (ELRTV) is told the slice
    profile, and plain ``'elrtv'`` gets its through-plane preset.

    A method that could read its input as a k-space cut (``acquisition``) renders it as resized: the
    planes' thick axis is a slice profile. Plain ``'elrtv'`` uses the shipped through-plane preset of the
    nearer factor (2 below 3, else 4), tuned on IXI slices thickened along one axis (the repository's
    ``release/tune_through_plane.py``); ``elrtv:PRESET.yaml`` uses the given preset. Methods that take an
    operator are given the ``slice_profile`` one unless ``params`` holds an operator.
    """
    from mrisr.methods import method_info, parse_spec

    if callable(method):
        return method, factor, params
    spec = parse_spec(method)
    info = method_info(spec)
    if not info.takes_operator:
        if info.params is not None and "acquisition" in info.params:  # a thick-slice plane is no k-space cut
            return method, factor, {"acquisition": "resize", **(params or {})}
        return method, factor, params
    scale = factor
    if info.family == "elrtv" and spec.arg is None:
        from mrisr.classical.method import slices_preset_path

        scale = 2 if factor < 3 else 4
        method = f"{spec.name}:{slices_preset_path(scale)}"
    out = dict(params or {})
    out.setdefault("progress", False)  # the planes' own bar shows progress
    out.setdefault("operator", {"kind": "slice_profile", "profile": profile, "thickness": thickness, "bias": 0.0})
    return method, scale, out


def _fitted_here(method: Any) -> bool:
    """Whether ``method`` names a method that is fitted to the volume itself (its record: through-plane only)."""
    from mrisr.methods import method_info

    return not callable(method) and method_info(method).through_plane_only


def _liif(method: Any) -> bool:
    """Whether ``method`` names a LIIF method (by its record; a method object: unknown, False)."""
    from mrisr.methods import method_info

    return not callable(method) and method_info(method).family == "liif"


def _in_plane_liif(method: Any, fn: Any) -> bool:
    """Whether the planes are rendered by a LIIF model trained in-plane (not on slice profiles): by its record,
    or a method object's name."""
    from mrisr.methods import method_info

    if callable(method):
        name = str(getattr(fn, "name", ""))
        return name.startswith("liif") and name != BASE
    info = method_info(method)
    return info.family == "liif" and info.trained_on != TRAINED_ON


def _through_plane(img, *, factor, spacing, axis, method, params, profile, thickness, batch_size, dtype, progress,
                   crop, save_model=None):
    from mrisr.classical.operators import profile_matrix

    src = read_source(img)
    zooms = _zooms(src.img)
    axis, shape, eff = slice_plan(src.raw.shape, zooms, axis=axis, factor=factor, spacing=spacing)
    check_batch_size(batch_size)
    recorded = getattr(img, "extra", {}).get("slice_thickness") if axis == 2 else None
    if thickness is None and recorded:
        thickness = float(recorded)
        logger.info("%s: slice thickness %g mm (spacing %g mm) from the DICOM header", src.label, thickness, zooms[2])
    if thickness is not None and not (np.isfinite(thickness) and thickness > 0):
        raise ValueError(f"slice thickness must be > 0 mm, got {thickness!r}")
    rel = 1.0 if thickness is None else float(thickness) / zooms[axis]
    profile_matrix(shape[axis], src.raw.shape[axis], profile=profile, thickness=rel)  # validate now
    store = storage_for(src, dtype)
    identity = shape == src.raw.shape
    selfsup = _fitted_here(method)
    if save_model is not None and not selfsup:
        raise ValueError(f"save_model applies to liif-selfsup (a model fitted to the volume), not {method!r}")
    if selfsup:  # fitted below, on the volume itself
        SelfSupConfig.from_params(params)  # bad options fail before any work
        if save_model is not None:
            if identity:
                raise ValueError("save_model: this volume needs no new slices (factor 1), so no model is fitted")
            check_output_file(save_model, suffixes=(".safetensors",))
        fn = None
    else:
        spec, scale, opts = _method_spec(method, params, profile, rel, eff)
        fn = build_method(spec, scale, opts, identity)
    if not identity and not selfsup and _in_plane_liif(method, fn):
        logger.warning("the in-plane LIIF models learned IXI's in-plane blur on both axes; adding slices they "
                       "scored far below bicubic interpolation on a simulated thick-slice volume; liif-selfsup, the "
                       "default here, fits the through-plane base liif-slices to the volume first")
    logger.info("%s: %s -> %s, %d slices -> %d along axis %d (x%.4g, %s profile %.3g spacings, %s)",
                src.label, src.raw.shape, shape, src.raw.shape[axis], shape[axis], axis, eff, profile, rel,
                "identity" if identity else getattr(fn, "name", method))
    if identity:  # the in-plane path's exact copy (stored values re-encoded in the output type)
        return src, process(src, shape, axis, None, store, batch_size=batch_size, progress=False), store
    imap = IntensityMap.from_raw(src.raw, slope=src.slope, inter=src.inter)
    if selfsup:
        unit = imap.to_unit(src.raw.astype(np.float64) * src.slope + src.inter)
        fn = fit_through_plane_model(unit, axis, eff, profile=profile, thickness=rel, params=params,
                                     progress=progress, label=src.label)
        if save_model is not None:
            logger.info("%s: saved the fitted model to %s", src.label, save_fitted(fn, save_model))
    out = _render_views(fn, src, axis, shape[axis], imap, batch_size, progress, crop, selfsup or _liif(method))
    data = encode(imap.from_unit(out), store.dtype, slope=store.slope, inter=store.inter)
    return src, data, store


def _render_views(fn, src, axis, n_out, imap, batch_size, progress, crop, crop_slices) -> np.ndarray:
    """The mean of the two views' [0, 1] estimates of ``src.raw`` with ``n_out`` slices along ``axis``; with
    ``crop``, each block of planes is rendered over its :func:`render_box` only, the rest interpolated."""
    from tqdm.auto import tqdm

    from mrisr.data.resize import resize_matrix

    raw = src.raw
    floor = background_floor(raw, axis) if crop else None
    linear = resize_matrix(raw.shape[axis], n_out, kernel="bilinear", antialias=False)
    shape = list(raw.shape)
    shape[axis] = n_out
    views = [a for a in range(3) if a != axis]
    acc = np.zeros(shape, dtype=np.float32)  # the sum of the two views' [0, 1] estimates
    rendered, start_time, planes = 0, time.perf_counter(), sum(raw.shape[a] for a in views)
    with tqdm(total=planes, unit="plane", desc="through-plane",
              disable=not progress, leave=False) as bar:
        for a in views:  # planes (B, W, n): the slice axis last, as foreground_span reads them
            view_in = np.moveaxis(raw, (a, axis), (0, 2))
            view_acc = np.moveaxis(acc, (a, axis), (0, 2))
            for start in range(0, view_in.shape[0], batch_size):
                block = view_in[start:start + batch_size]
                whole = (slice(0, block.shape[1]), slice(0, block.shape[2]), slice(0, n_out))
                box = render_box(block, floor, n_out, crop_slices) if crop else whole
                if box == whole:
                    sr = apply_method(fn, block, (block.shape[1], n_out), imap, src)
                else:  # where nothing is rendered, linear interpolation (a constant background stays constant)
                    unit = imap.to_unit(block.astype(np.float64) * src.slope + src.inter)
                    sr = (unit @ linear.T).astype(np.float32)
                    if box is not None:
                        cols, rows, out = box
                        sr[:, cols, out] = apply_method(fn, block[:, cols, rows], sr[:, cols, out].shape[1:], imap,
                                                        src)
                rendered += block[:, box[0], box[1]].size if box is not None else 0
                view_acc[start:start + batch_size] += sr
                bar.update(block.shape[0])
    logger.info("%s: rendered %d planes in %.0f s, %.0f %% of their voxels (the rest is background, interpolated)",
                src.label, planes, time.perf_counter() - start_time,
                100 * rendered / (len(views) * raw.size))
    return acc / len(views)


def upscale_through_plane(
    img,
    *,
    factor: float | None = None,
    spacing: float | None = None,
    axis: int | None = None,
    method: str | Any = "liif-selfsup",
    params: dict | None = None,
    profile: str = "box",
    thickness: float | None = None,
    batch_size: int = 16,
    dtype: str = "input",
    progress: bool = True,
    crop: bool = True,
    save_model: str | Path | None = None,
):
    """Add slices to a thick-slice volume (through-plane super-resolution), geometry kept.

    Parameters
    ----------
    img : nibabel image
        A 3-D NIfTI (4-D with a trailing dimension of 1 counts as 3-D).
    factor : float, optional
        Slices per input slice, 1 (identity) or in (1, 16].
    spacing : float, optional
        Target slice spacing in mm instead of ``factor``. With neither, the
        smaller in-plane voxel size: an isotropic volume.
    axis : {0, 1, 2}, optional
        The slice axis; default the axis with the largest voxel size.
    method : str or callable, default 'liif-selfsup'
        A method spec (``'elrtv'``, ``'bicubic'``, ``'zerofill'``,
        ``'liif-selfsup'``, ...) or a ready method object, applied to the 2-D
        planes that contain the slice axis. ELRTV is given the slice profile as
        its degradation operator; plain ``'elrtv'`` uses the through-plane
        preset of the nearer factor (2 or 4), ``'elrtv:PRESET.yaml'`` another
        preset. ``'liif-selfsup'`` first fine-tunes a shipped LIIF model on the
        volume's own in-plane slices thickened with the slice profile
        (:func:`mrisr.volume.selfsup.fit_through_plane_model`).
    params : dict, optional
        Extra factory options for the method (an ``operator`` here replaces the
        slice-profile one; for ``'liif-selfsup'``, the fields of
        :class:`mrisr.volume.selfsup.SelfSupConfig` and ``self_ensemble``,
        ``device``, ``batch_size``, ``chunk``).
    profile : {'box', 'gaussian'}, default 'box'
        Slice profile: a box of the slice thickness, or a Gaussian with that
        full width at half maximum.
    thickness : float, optional
        Slice thickness in mm; default the DICOM series' SliceThickness when
        the slice axis is the series' (axis 2), else the slice spacing
        (contiguous slices). Smaller means gaps between slices, larger
        overlapping slices.
    batch_size, dtype, progress
        As in :func:`mrisr.volume.upscale_volume` (``batch_size`` counts planes).
    crop : bool, default True
        Render each block of planes only over the columns that rise above the
        background (a masked volume's constant, or a noisy background's floor:
        :func:`background_floor`), with a margin of :data:`CROP_MARGIN` voxels,
        and for a LIIF model over those slices only (whole periods of the
        factor, :func:`slice_span`); the rest is interpolated linearly, which
        keeps a constant background (:func:`render_box`). ``False`` renders
        every plane whole.
    save_model : str or Path, optional
        ``'liif-selfsup'`` only: also write the fitted model to this ``.safetensors`` file
        (:func:`mrisr.volume.selfsup.save_fitted`), so that the other volumes of the protocol can be
        rendered without fine-tuning: ``params={'base': 'liif:PATH', 'steps': 0}``.

    Returns
    -------
    nibabel image
        Same class as the input; ``round(n * factor)`` slices along ``axis``
        over the same field of view, header kept as in
        :func:`mrisr.volume.upscale_volume`.

    Examples
    --------
    >>> import nibabel as nib, numpy as np
    >>> vol = nib.Nifti1Image(np.random.rand(8, 8, 3).astype(np.float32), np.diag([1, 1, 4, 1]))
    >>> upscale_through_plane(vol, method="bicubic", progress=False).shape
    (8, 8, 12)
    """
    src, data, store = _through_plane(
        img, factor=factor, spacing=spacing, axis=axis, method=method, params=params, profile=profile,
        thickness=thickness, batch_size=batch_size, dtype=dtype, progress=progress, crop=crop, save_model=save_model,
    )
    return to_image(src, data, store, exact_scaling=False)


def upscale_through_plane_file(input_path: str | Path, output_path: str | Path, **options: Any) -> Path:
    """Read a volume, add slices (:func:`upscale_through_plane`), write NIfTI atomically.

    Parameters
    ----------
    input_path : str or Path
        ``.nii``/``.nii.gz`` file or a folder holding one DICOM series.
    output_path : str or Path
        ``.nii`` or ``.nii.gz`` destination, written under a temporary name and
        renamed, so a failure leaves nothing behind.
    **options
        Keyword options of :func:`upscale_through_plane`. Integer volumes with
        ``scl_slope`` and ``scl_inter`` are written with the same slope and
        intercept.

    Returns
    -------
    Path
        ``output_path``.
    """
    output_path = Path(output_path)
    check_output_file(output_path, suffixes=NIFTI_SUFFIXES, inputs=[input_path])  # before any work
    opts = {"factor": None, "spacing": None, "axis": None, "method": "liif-selfsup", "params": None, "profile": "box",
            "thickness": None, "batch_size": 16, "dtype": "input", "progress": True, "crop": True, "save_model": None}
    unknown = set(options) - set(opts)
    if unknown:
        raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
    img = read_volume(input_path)
    try:
        src, data, store = _through_plane(img, **{**opts, **options})
    except ValueError as exc:  # name the file: "patch 6 is larger than the image (30, 4)" alone says too little
        raise ValueError(f"{input_path}: {exc}") from None
    return write_volume(src, data, store, output_path)
