"""``mrisr upscale``: super-resolve a PNG/TIFF image or a NIfTI volume."""

from __future__ import annotations

import argparse

from mrisr.cli.batch import add_batch_arguments
from mrisr.cli.options import add_runtime_arguments, nonnegative_int, positive_float, positive_int

NAME = "upscale"
HELP = "super-resolve an image (PNG/TIFF) or a NIfTI volume to any scale or size, or add slices to a volume"
ORDER = 10


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="input image (.png, .tif) or volume (.nii, .nii.gz, a DICOM series folder), or a "
                                 "folder searched recursively for these, or a list file (.txt, one path a line)")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--scale", type=float, help="upscaling factor (> 1, <= 16; non-integer allowed; 1 copies a volume)")
    size.add_argument("--size", help="output size HxW, e.g. 512x512 (in-plane size for volumes)")
    size.add_argument("--through-plane", type=float, metavar="FACTOR",
                      help="volumes: FACTOR times as many slices along the slice axis (through-plane SR of thick "
                           "slices; default method liif-selfsup, fitted to the volume's own slices; elrtv is faster)")
    size.add_argument("--isotropic", action="store_true",
                      help="volumes: as --through-plane, with the factor that makes the slice spacing equal to the "
                           "in-plane voxel size")
    p.add_argument("-o", "--output", required=True,
                   help="output file (.png/.tif for images, .nii[.gz] for volumes), or the output folder of a folder or "
                        "list input (the input tree mirrored)")
    p.add_argument("--method", help="method spec (default: the shipped LIIF weights, or bicubic if none)")
    p.add_argument("--checkpoint", help="LIIF weights/checkpoint to use (same as --method liif:PATH)")
    p.add_argument("--axis", type=int,
                   help="volumes: the slice axis, kept in-plane (default 2) or upscaled with --through-plane / "
                        "--isotropic (default: the axis with the largest voxel size)")
    p.add_argument("--slice-profile", choices=("box", "gaussian"), default="box",
                   help="--through-plane: each slice averages a box of the slice thickness (default) or a Gaussian "
                        "with that FWHM")
    p.add_argument("--slice-thickness", type=positive_float, metavar="MM",
                   help="--through-plane: slice thickness in mm (default: a DICOM series' SliceThickness, else the "
                        "slice spacing, i.e. contiguous slices)")
    p.add_argument("--selfsup-steps", type=nonnegative_int, metavar="N",
                   help="--method liif-selfsup: most fine-tuning steps on the volume's own slices (default 50 x the "
                        "factor, 0 with --reuse-model; it stops earlier when held-out slices stop improving)")
    p.add_argument("--save-model", metavar="PATH",
                   help="liif-selfsup, one volume: also write the fitted model (.safetensors) for --reuse-model")
    p.add_argument("--reuse-model", metavar="PATH",
                   help="liif-selfsup: render with a model saved by --save-model on a volume of the same protocol "
                        "(same factor, slice profile and thickness) instead of fitting one: no fine-tuning unless "
                        "--selfsup-steps N")
    p.add_argument("--dtype", choices=("input", "float32"), default="input", help="volumes: output data type")
    p.add_argument("--bits", type=int, choices=(8, 16), default=16, help="images: output bit depth (default 16)")
    add_runtime_arguments(p)
    p.add_argument("--chunk", type=positive_int, help="LIIF queries decoded at once (lower = less memory)")
    p.add_argument("--intensity", choices=("auto", "off"), default="auto",
                   help="auto (default): an input far brighter or darker than the method's training images is "
                        "brought to their level and back; off: used as read")
    p.add_argument("--strict", action="store_true",
                   help="an image or volume: stop (exit 2, nothing written) where the input looks unlike the "
                        "method's training images (e.g. k-space truncated for liif-x2); without it, a one-line warning")
    p.add_argument("--acquisition", choices=("resize", "kspace", "auto"),
                   help="LIIF: where the LR samples sit: 'resize' (footprint centres, as an image resize), 'kspace' "
                        "(the DFT grid of a smaller acquisition matrix) or 'auto' (read from the image; the default "
                        "of liif-blind; the others default to resize)")
    p.add_argument("--precision", choices=("float32", "bfloat16"),
                   help="LIIF: arithmetic of the rendering (and of liif-selfsup's fine-tuning); default float32, "
                        "but liif-selfsup uses bfloat16 where the CPU has native bfloat16 (1.6-1.8x faster, within "
                        "0.1 dB; float32 gives the same output on every machine)")
    p.add_argument("--self-ensemble", action="store_true",
                   help="LIIF: average over the 8 flips/transposes of the input (8x the time, slightly better)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_batch_arguments(p)


def parse_size(text: str) -> tuple[int, int]:
    """'512x384' -> (512, 384)."""
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must look like HxW, e.g. 512x512, got {text!r}") from None
    if h < 1 or w < 1 or h > 16384 or w > 16384:
        raise ValueError(f"--size must be between 1 and 16384 per side, got {text!r}")
    return h, w


def _params(args: argparse.Namespace, spec: str, *, any_scale: bool) -> dict:
    """Factory options from the command line for method ``spec`` (the LIIF options for a LIIF method's record)."""
    from mrisr.methods import method_info, parse_spec
    from mrisr.volume.selfsup import METHOD as SELFSUP
    from mrisr.volume.selfsup import reuse_params

    liif = method_info(spec).family == "liif"
    for flag, value in (("--self-ensemble", args.self_ensemble), ("--acquisition", args.acquisition),
                        ("--precision", args.precision)):
        if value and not liif:
            raise ValueError(f"{flag} applies to LIIF methods only, not {spec!r}")
    for flag, value in (("--selfsup-steps", args.selfsup_steps), ("--save-model", args.save_model),
                        ("--reuse-model", args.reuse_model)):
        if value is not None and parse_spec(spec).name != SELFSUP:
            raise ValueError(f"{flag} applies to --method {SELFSUP}, not {spec!r}")
    params: dict = {"intensity": args.intensity}
    if liif:
        params.update(device=args.device, **({"chunk": args.chunk} if args.chunk else {}))
        if args.self_ensemble:
            params["self_ensemble"] = True
        if args.acquisition:
            params["acquisition"] = args.acquisition
        if args.precision:
            params["precision"] = args.precision
        if args.reuse_model is not None:
            params.update(reuse_params(args.reuse_model))
        if args.selfsup_steps is not None:
            params["steps"] = args.selfsup_steps
        if any_scale:
            params["any_scale"] = True  # our default: LIIF renders any scale from the nearest weights
    return params


def _check_output(args: argparse.Namespace, volume: bool) -> str:
    """Refuse an unusable ``--output`` before any work; the note for a replaced file."""
    from mrisr._outputs import check_output_file, replaced_note
    from mrisr.data.io import IMAGE_SUFFIXES, NIFTI_SUFFIXES

    suffixes = NIFTI_SUFFIXES if volume else IMAGE_SUFFIXES
    return replaced_note(check_output_file(args.output, suffixes=suffixes, inputs=[args.input]))


def _through_plane(args: argparse.Namespace, note: str) -> int:
    from mrisr.volume import upscale_through_plane_file
    from mrisr.volume.selfsup import METHOD as SELFSUP

    spec = f"liif:{args.checkpoint}" if args.checkpoint else (args.method or SELFSUP)
    params = _params(args, spec, any_scale=False)
    out = upscale_through_plane_file(
        args.input, args.output, factor=args.through_plane, axis=args.axis, method=spec, params=params,
        profile=args.slice_profile, thickness=args.slice_thickness, dtype=args.dtype,
        progress=not args.no_progress, save_model=args.save_model,
    )
    print(f"wrote {out} ({spec}, through-plane){note}")
    return 0


def _check_in_plane(args: argparse.Namespace) -> None:
    """Refuse a through-plane-only method (by its record) or its options without --through-plane/--isotropic."""
    from mrisr.methods import method_info, parse_spec
    from mrisr.volume.selfsup import METHOD as SELFSUP

    if args.method and method_info(args.method).through_plane_only:
        raise ValueError(f"{parse_spec(args.method).name} adds slices to a volume: use it with --through-plane or "
                         "--isotropic")
    if any(v is not None for v in (args.selfsup_steps, args.save_model, args.reuse_model)):
        raise ValueError(f"{SELFSUP} adds slices to a volume: use it with --through-plane or --isotropic")


def _batch(args: argparse.Namespace) -> int:
    """A folder or list input: every image and volume in it, into the output folder ``-o``."""
    from mrisr._atomic import check_output_dir
    from mrisr.batch import Job, find_inputs, plan
    from mrisr.cli.batch import job_threads, run_tasks
    from mrisr.methods import default_method
    from mrisr.volume.selfsup import METHOD as SELFSUP

    if args.strict:
        raise ValueError("--strict applies to a single image or volume; folder and list inputs are not checked yet")
    if args.save_model:
        raise ValueError("--save-model takes a single volume: fit on one, then --reuse-model PATH for the folder")
    through = args.through_plane is not None or args.isotropic
    if not through:
        _check_in_plane(args)
    spec = f"liif:{args.checkpoint}" if args.checkpoint else (args.method or (
        SELFSUP if through else default_method(args.scale or 2.0)))
    params = _params(args, spec, any_scale=not (through or args.method or args.checkpoint))
    job = Job(spec, params, scale=args.scale, size=parse_size(args.size) if args.size else None,
              through_plane=args.through_plane, isotropic=args.isotropic, axis=args.axis,
              profile=args.slice_profile, thickness=args.slice_thickness, dtype=args.dtype, bits=args.bits,
              threads=job_threads(args))
    out = check_output_dir(args.output)
    return run_tasks(args, plan(find_inputs(args.input, exclude=out), out, job, suffix=args.suffix), out)


def _volume_planes(src, axis: int):
    """Five planes around the middle of a volume along ``axis``, mapped to [0, 1] as the methods see them."""
    import numpy as np

    from mrisr.volume import read_volume
    from mrisr.volume.intensity import IntensityMap
    from mrisr.volume.pipeline import read_source

    vol = read_source(read_volume(src))
    raw = np.moveaxis(vol.raw, axis, 0)
    mid = raw.shape[0] // 2
    block = raw[max(mid - 2, 0):mid + 3].astype(np.float64) * vol.slope + vol.inter
    return IntensityMap.from_raw(vol.raw, slope=vol.slope, inter=vol.inter).to_unit(block)


def _check_input(args: argparse.Namespace, src, spec: str, scale: float, image) -> None:
    """Warn (or, --strict, stop) where the input looks unlike the method's training images."""
    from mrisr.methods import check_input, method_info

    if scale <= 1 or method_info(spec).trained_on is None:  # --scale 1 copies a volume: no method runs
        return
    lr = image if image is not None else _volume_planes(src, 2 if args.axis is None else args.axis)
    check_input(lr, spec, scale=scale, label=src.name, strict=args.strict)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mrisr.batch import is_batch_input
    from mrisr.cli.batch import check_batch_options
    from mrisr.data.io import is_nifti_file, read_image, write_image
    from mrisr.data.resize import check_scale
    from mrisr.methods import default_method, make_method
    from mrisr.tiling import check_output_fits

    if args.checkpoint and args.method:
        raise ValueError("give either --method or --checkpoint, not both")
    src = Path(args.input)
    check_batch_options(args, is_batch_input(src))
    if is_batch_input(src):
        return _batch(args)
    volume = is_nifti_file(src) or src.is_dir()
    through = args.through_plane is not None or args.isotropic
    if through and not volume:
        raise ValueError(f"{src}: --through-plane and --isotropic apply to volumes (.nii, .nii.gz or a DICOM folder)")
    if not through and (args.slice_thickness is not None or args.slice_profile != "box"):
        raise ValueError("--slice-profile and --slice-thickness apply with --through-plane or --isotropic only")
    note = _check_output(args, volume)
    if through:
        return _through_plane(args, note)
    _check_in_plane(args)
    size = parse_size(args.size) if args.size else None
    image = None if volume else read_image(src)
    if args.scale is not None:
        scale = args.scale if (volume and args.scale == 1) else check_scale(args.scale)
    else:
        scale = size[0] / image.shape[0] if image is not None else 2.0
    spec = f"liif:{args.checkpoint}" if args.checkpoint else (args.method or default_method(scale))
    params = _params(args, spec, any_scale=not (args.method or args.checkpoint) and spec != "liif")
    _check_input(args, src, spec, scale, image)
    if volume:
        from mrisr.volume import upscale_volume_file

        upscale_volume_file(src, args.output, scale=None if size else scale, size=size,
                            axis=2 if args.axis is None else args.axis,
                            method=spec, params=params, dtype=args.dtype, progress=not args.no_progress)
        print(f"wrote {args.output} ({spec}){note}")
        return 0
    out_shape = size or (round(image.shape[0] * scale), round(image.shape[1] * scale))
    check_output_fits(out_shape)
    method = make_method(spec, scale=scale, params=params)
    write_image(args.output, method(image, out_shape), bits=args.bits)
    print(f"wrote {args.output} ({out_shape[0]}x{out_shape[1]}, {spec}){note}")
    return 0
