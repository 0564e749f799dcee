"""Operations one LIIF rendering dispatches: on a GPU each is at least one kernel launch.

Counts the top-level PyTorch operations (the profiler's events without a parent) of one
``LIIF.upscale`` call after a warm-up, by name, for an EDSR-baseline encoder cut to ``--blocks``
residual blocks (so that the decoder's share shows) and a 4 x 128 MLP, one channel, on the CPU.
Views (``view``, ``select``, ``expand``, ...) are counted too but launch nothing. Usage::

    python benchmarks/liif_ops.py [--size 128 --out-size 256 --blocks 1 --chunk 8192]
"""

from __future__ import annotations

import argparse
from collections import Counter


def count(size: int, out_size: int, blocks: int, chunk: int | None) -> Counter:
    import torch
    from torch.profiler import ProfilerActivity, profile

    from mrisr.models import make_model

    torch.manual_seed(0)
    model = make_model({"name": "liif", "args": {"encoder": {"name": "edsr-baseline", "args": {"n_resblocks": blocks}},
                                                 "mlp_hidden": [128] * 4}}).eval()
    x = torch.rand(1, 1, size, size)
    with torch.no_grad():
        model.upscale(x, (out_size, out_size), chunk=chunk)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            model.upscale(x, (out_size, out_size), chunk=chunk)
    return Counter(e.name for e in prof.events() if e.cpu_parent is None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--out-size", type=int, default=256)
    ap.add_argument("--blocks", type=int, default=1)
    ap.add_argument("--chunk", type=int)
    args = ap.parse_args()
    ops = count(args.size, args.out_size, args.blocks, args.chunk)
    print(f"{args.size}->{args.out_size}, {args.blocks} encoder block(s), chunk {args.chunk or 'default'}: "
          f"{sum(ops.values())} operations")
    print(", ".join(f"{n} {c}" for n, c in ops.most_common()))


if __name__ == "__main__":
    main()
