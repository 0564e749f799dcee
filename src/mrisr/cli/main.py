"""``mrisr`` console script.

Each subcommand lives in :mod:`mrisr.cli.commands` as a module defining
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. Command
modules import heavy libraries (torch, nibabel) inside ``run`` only, so
``mrisr --help`` stays instant.

User mistakes (:class:`mrisr.errors.InputError`, ``ValueError``, ``OSError``)
and bad options (:mod:`mrisr.cli.options`) are printed as one line on stderr
with exit code 2; set ``MRISR_DEBUG=1`` for the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
import warnings

from mrisr import __version__
from mrisr.cli.options import OneLineParser


def _commands():
    import mrisr.cli.commands as pkg

    mods = [importlib.import_module(f"{pkg.__name__}.{m.name}") for m in pkgutil.iter_modules(pkg.__path__)]
    return sorted((m for m in mods if hasattr(m, "NAME")), key=lambda m: m.ORDER if hasattr(m, "ORDER") else 50)


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="mrisr", description="MRI super-resolution: classical ELRTV and deep LIIF (+SMAM, +EEM)."
    )
    parser.add_argument("--version", action="version", version=f"mrisr {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _commands():
        # argparse %-formats help strings: a literal '%' (e.g. "95% CIs") must not break --help
        p = sub.add_parser(
            mod.NAME, help=mod.HELP.replace("%", "%%"), description=getattr(mod, "DESCRIPTION", mod.HELP)
        )
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a Python warning as one ``mrisr: warning:`` line (no source excerpt)."""
    print(f"mrisr: warning: {message}", file=sys.stderr if file is None else file)


def _run_command(args: argparse.Namespace) -> int:
    """Run the command with its ``--threads`` cap, after checking its ``--device`` exists here."""
    from mrisr.devices import limit_threads, parse_device

    if getattr(args, "device", None) is not None:
        parse_device(args.device)  # a missing or misspelt device: one line before any work
    with limit_threads(getattr(args, "threads", None)):
        return int(args._run(args) or 0)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a one-line usage error (OneLineParser)
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return _run_command(args)
    except KeyboardInterrupt:
        print("mrisr: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as exc:
        if os.environ.get("MRISR_DEBUG"):
            raise
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, OSError) and getattr(exc, "filename", None) and str(exc.filename) not in msg:
            msg = f"{exc.filename}: {msg}"
        print(f"mrisr: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
