"""Run a Python script or an ``mrisr`` command with candidate weights in place of a shipped file.

For measuring a model before it ships: every method served by the shipped file (``liif_blind.safetensors``
serves ``liif-blind``) renders with the candidate instead, in this process only; its reader, specialists and
intensity guard stay as shipped. Nothing in the package changes.

    python study/scripts/with_weights.py liif_blind.safetensors CANDIDATE.safetensors mrisr families ...
    python study/scripts/with_weights.py liif_blind.safetensors CANDIDATE.safetensors study/scripts/probe.py ...
"""

from __future__ import annotations

import sys
from pathlib import Path

from with_reader import run  # the same way of running the rest of the command line

import mrisr.weights as weights


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    shipped, candidate = sys.argv[1], Path(sys.argv[2]).resolve()
    if not candidate.is_file():
        print(f"error: {candidate}: no such file", file=sys.stderr)
        return 2
    verified = weights.verified_path
    weights.verified_path = lambda entry: candidate if entry.file == shipped else verified(entry)
    return run(sys.argv[3:])


if __name__ == "__main__":
    sys.exit(main())
