"""``mrisr upscale``: super-resolve a PNG/TIFF image or a NIfTI volume."""

from __future__ import annotations

import argparse

NAME = "upscale"
HELP = "super-resolve an image (PNG/TIFF) or a NIfTI volume to any scale or size"
ORDER = 10


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="input image (.png, .tif) or volume (.nii, .nii.gz)")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--scale", type=float, help="upscaling factor (> 1, <= 16; non-integer allowed; 1 copies a volume)")
    size.add_argument("--size", help="output size HxW, e.g. 512x512 (in-plane size for volumes)")
    p.add_argument("-o", "--output", required=True, help="output file (.png/.tif for images, .nii[.gz] for volumes)")
    p.add_argument("--method", help="method spec (default: the shipped LIIF weights, or bicubic if none)")
    p.add_argument("--checkpoint", help="LIIF weights/checkpoint to use (same as --method liif:PATH)")
    p.add_argument("--axis", type=int, default=2, help="volumes: slice axis kept at its resolution (default 2)")
    p.add_argument("--dtype", choices=("input", "float32"), default="input", help="volumes: output data type")
    p.add_argument("--bits", type=int, choices=(8, 16), default=16, help="images: output bit depth (default 16)")
    p.add_argument("--device", default="cpu", help="torch device for LIIF methods (cpu, cuda, ...)")
    p.add_argument("--chunk", type=int, help="LIIF queries decoded at once (lower = less memory)")


def parse_size(text: str) -> tuple[int, int]:
    """'512x384' -> (512, 384)."""
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must look like HxW, e.g. 512x512, got {text!r}") from None
    if h < 1 or w < 1 or h > 16384 or w > 16384:
        raise ValueError(f"--size must be between 1 and 16384 per side, got {text!r}")
    return h, w


def default_method(scale: float | None) -> str:
    """The shipped LIIF weights serving ``scale`` (nearest shipped scale), else bicubic."""
    from mrisr.weights import index

    entries = [e for e in index() if e.methods]
    if not entries:
        return "bicubic"
    if scale is None:
        return entries[0].methods[0]
    best = min(((abs(s - scale), m) for e in entries for s, m in zip(e.scales, e.methods, strict=False)),
               default=(0, entries[0].methods[0]))
    return best[1]


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mrisr.data.io import is_nifti_file
    from mrisr.data.resize import check_scale

    if args.checkpoint and args.method:
        raise ValueError("give either --method or --checkpoint, not both")
    spec = f"liif:{args.checkpoint}" if args.checkpoint else (args.method or default_method(args.scale))
    liif = spec.startswith("liif")
    params = {"device": args.device, **({"chunk": args.chunk} if args.chunk else {})} if liif else {}
    if liif and args.scale is None and not args.checkpoint and not args.method:
        params["any_scale"] = True
    src = Path(args.input)
    if is_nifti_file(src) or src.is_dir():
        from mrisr.volume import upscale_volume_file

        upscale_volume_file(src, args.output, scale=args.scale, size=parse_size(args.size) if args.size else None,
                            axis=args.axis, method=spec, params=params, dtype=args.dtype)
        print(f"wrote {args.output} ({spec})")
        return 0
    from mrisr.data.io import read_image, write_image
    from mrisr.methods import make_method

    image = read_image(src)
    if args.size:
        out_shape = parse_size(args.size)
        scale = out_shape[0] / image.shape[0]
    else:
        scale = check_scale(args.scale)
        out_shape = (round(image.shape[0] * scale), round(image.shape[1] * scale))
    if spec.split(":")[0].startswith("liif-") and not args.method:
        params["any_scale"] = True
    method = make_method(spec, scale=scale, params=params)
    write_image(args.output, method(image, out_shape), bits=args.bits)
    print(f"wrote {args.output} ({out_shape[0]}x{out_shape[1]}, {spec})")
    return 0
