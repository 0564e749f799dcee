"""Argument types shared by the subcommands: option values checked as they are parsed.

Each type raises :class:`argparse.ArgumentTypeError` with the bad value, which
:class:`OneLineParser` prints as one ``mrisr COMMAND: error: ...`` line (exit 2).
"""

from __future__ import annotations

import argparse
import math
import sys


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line on stderr (exit 2), without the usage text."""

    def error(self, message: str):  # noqa: D102 - argparse API
        text = " ".join(message.split())
        print(f"{self.prog}: error: {text} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


def _bounded(kind: type, what: str, ok, doc: str):
    """An argparse type: ``kind(text)``, finite, and accepted by ``ok``; else one line naming ``what``."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or (isinstance(value, float) and not math.isfinite(value)) or not ok(value):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    parse.__doc__ = doc
    return parse


positive_int = _bounded(int, "an integer >= 1", lambda v: v >= 1,
                        "An integer >= 1 (counts, sizes, chunk lengths).")
nonnegative_int = _bounded(int, "an integer >= 0", lambda v: v >= 0,
                           "An integer >= 0 (offsets, border widths, seeds).")
nonnegative_float = _bounded(float, "a number >= 0", lambda v: v >= 0,
                             "A finite number >= 0 (limits where 0 means 'as soon as possible').")
positive_float = _bounded(float, "a number > 0", lambda v: v > 0,
                          "A finite number > 0 (durations, thicknesses).")


def number_list(text: str) -> tuple[float, ...]:
    """Comma-separated finite numbers, e.g. scales ``2,4`` (an argparse type; at least one)."""
    try:
        values = tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        values = ()
    if not values or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"must be comma-separated numbers, got {text!r}")
    return values


def name_list(text: str) -> tuple[str, ...]:
    """Comma-separated names, e.g. method specs ``bicubic,elrtv`` (an argparse type; at least one)."""
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"must name at least one, got {text!r}")
    return names


def add_runtime_arguments(p: argparse.ArgumentParser, *, device_default: str | None = "auto",
                          device_help: str | None = None) -> None:
    """Add ``--device`` and ``--threads``, the same on every command that computes.

    ``mrisr.cli.main`` checks the device and caps the threads around the
    command; commands pass ``args.device`` on (read by
    :func:`mrisr.devices.parse_device`).
    """
    p.add_argument(
        "--device", default=device_default, metavar="DEVICE",
        help=device_help or "auto (default: a CUDA GPU if present, else Apple MPS, else the CPU), cpu, cuda, "
                            "cuda:N or mps; the LIIF methods run on it, the classical ones on the CPU",
    )
    p.add_argument("--threads", type=positive_int, metavar="N",
                   help="CPU threads for PyTorch and NumPy's BLAS (default: the libraries' own choice)")
