"""Run a Python script or an ``mrisr`` command with a candidate acquisition reader in place of the shipped one.

For measuring a reader before it ships (``train_acquisition_reader.py --out CANDIDATE``): nothing in the package
changes, the candidate is swapped in for this process only.

    python study/scripts/with_reader.py CANDIDATE.safetensors mrisr families --data ... --methods liif-blind
    python study/scripts/with_reader.py CANDIDATE.safetensors study/scripts/reader_phantom_probe.py
"""

from __future__ import annotations

import runpy
import sys

from mrisr.data import acquisition


def run(command: list[str]) -> int:
    """Run ``mrisr ARGS...`` or ``SCRIPT ARGS...`` in this process (whatever was swapped in stays swapped)."""
    if command[0] == "mrisr":
        from mrisr.cli.main import main as cli

        return cli(command[1:])
    sys.argv = command
    runpy.run_path(command[0], run_name="__main__")
    return 0


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    reader = acquisition.AcquisitionReader.load(sys.argv[1])
    acquisition.default_reader = lambda: reader
    return run(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
