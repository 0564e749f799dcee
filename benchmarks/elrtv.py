"""ELRTV presets against bicubic, side by side in one run.

For each scale, runs bicubic and every ELRTV preset (the shipped ones, plus
any ``--preset x<s>=YAML``) on the same images of a split and prints a table of
PSNR (whole image and foreground), SSIM (7x7 uniform and 11x11 Gaussian) and
seconds per image; optionally writes it as Markdown and CSV.

Example (one thread, as reported)::

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        python benchmarks/elrtv.py --data /path/ixi-t2-midslices --split val --scales 2 4 \\
        --preset x4=src/mrisr/classical/presets/elrtv_x4_quality.yaml --out benchmarks/results/elrtv_val
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import sys

from mrisr._atomic import atomic_write_text
from mrisr.data.datasets import find_pairs
from mrisr.evaluation import evaluate_pairs
from mrisr.methods import make_method


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="data root")
    p.add_argument("--split", default="val", help="split (train or val; default val)")
    p.add_argument("--scales", type=int, nargs="+", default=[2, 4], help="scales (default 2 4)")
    p.add_argument("--start", type=int, default=0, help="first image index by name (default 0)")
    p.add_argument("--count", type=int, help="number of images (default all)")
    p.add_argument("--preset", action="append", default=[], metavar="xS=YAML",
                   help="extra preset for scale S (repeatable), e.g. x2=quality.yaml")
    p.add_argument("--out", help="write OUT.md and OUT.csv")
    p.add_argument("--note", default="", help="free text added to the table header (e.g. machine load)")
    return p.parse_args(argv)


def _extra_presets(items: list[str]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for item in items:
        key, _, path = item.partition("=")
        if not key.startswith("x") or not key[1:].isdigit() or not path:
            raise SystemExit(f"--preset must look like x2=FILE.yaml, got {item!r}")
        out.setdefault(int(key[1:]), []).append(path)
    return out


def run_scale(args: argparse.Namespace, scale: int, extra: list[str]) -> list[dict]:
    pairs = find_pairs(args.data, args.split, scale)[args.start :]
    pairs = pairs[: args.count] if args.count else pairs
    methods = {"bicubic": make_method("bicubic", scale=scale),
               f"elrtv (preset x{scale})": make_method("elrtv", scale=scale)}
    for path in extra:
        methods[f"elrtv ({os.path.basename(path)})"] = make_method(f"elrtv:{path}", scale=scale)
    result = evaluate_pairs(pairs, methods, scale, progress=True)
    rows = []
    for method, s in result.summary().items():
        rows.append({"scale": scale, "method": method, "images": s["n"], "psnr": s["psnr_mean"],
                     "psnr_fg": s["psnr_fg_mean"], "ssim": s["ssim_mean"], "ssim_g": s["ssim_g_mean"],
                     "s_per_image": s["seconds_mean"]})
    return rows


def to_markdown(rows: list[dict], args: argparse.Namespace) -> str:
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    n = rows[0]["images"]
    head = (f"ELRTV vs bicubic on {args.split} images {args.start}..{args.start + n - 1} by name "
            f"(OMP_NUM_THREADS={threads}, {platform.machine()}, python {platform.python_version()}; "
            "s/image is wall time per image inside `mrisr.evaluation.evaluate_pairs`)."
            + (f" {args.note}" if args.note else "") + "\n\n")
    lines = ["| scale | method | images | PSNR (dB) | PSNR fg | SSIM 7u | SSIM 11g | s/image |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| x{r['scale']} | {r['method']} | {r['images']} | {r['psnr']:.3f} | {r['psnr_fg']:.3f} | "
                     f"{r['ssim']:.4f} | {r['ssim_g']:.4f} | {r['s_per_image']:.3f} |")
    return head + "\n".join(lines) + "\n"


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.split.lower().startswith("test"):
        print("benchmarks/elrtv.py: the test split is held back; use train or val", file=sys.stderr)
        return 2
    extra = _extra_presets(args.preset)
    rows = [r for s in args.scales for r in run_scale(args, s, extra.get(s, []))]
    md = to_markdown(rows, args)
    print(md)
    if args.out:
        atomic_write_text(args.out + ".md", md)
        atomic_write_text(args.out + ".csv", to_csv(rows))
        print(f"wrote {args.out}.md and {args.out}.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
