"""Interrupted runs: Ctrl-C exits 130 and leaves the old outputs byte-identical; a killed run's lock never blocks.

The CLI runs in a child process that stops at a known point and waits there
for the signal: ``compute`` (the first progress update, mid-run) or ``write``
(the rename of a finished temporary file onto the output, the last moment
before the old file would be replaced). The child restores the default SIGINT
disposition first: a shell that starts jobs in the background (CI's nohup-style
launch) leaves SIGINT ignored, and Python then never raises KeyboardInterrupt.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

import mrisr
from mrisr.cli.main import main
from tests.conftest import phantom

DRIVER = """
import os, sys, time
from pathlib import Path
import tqdm.std

ready, where = Path(sys.argv[1]), sys.argv[2]

def hold():
    if not ready.exists():
        ready.write_text("ready")
        time.sleep(120)  # the signal arrives here

if where == "compute":
    update = tqdm.std.tqdm.update
    def held_update(self, n=1):
        hold()
        return update(self, n)
    tqdm.std.tqdm.update = held_update
else:
    replace = os.replace
    def held_replace(*args, **kwargs):
        hold()
        return replace(*args, **kwargs)
    os.replace = held_replace

from mrisr.cli.main import main
sys.exit(main(sys.argv[3:]))
"""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _spawn(argv: list[str], ready: Path, where: str) -> subprocess.Popen:
    src = str(Path(mrisr.__file__).resolve().parents[1])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    env.pop("MRISR_DEBUG", None)
    return subprocess.Popen([sys.executable, "-c", DRIVER, str(ready), where, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, preexec_fn=_default_sigint)


def _interrupt(argv: list[str], ready: Path, where: str, sig: int) -> tuple[int, str]:
    proc = _spawn(argv, ready, where)
    deadline = time.monotonic() + 180
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"child never reached {where!r} (rc {proc.returncode}): {err[-2000:]}")
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _evaluate(data: Path, out: Path, method: str) -> list[str]:
    return ["evaluate", "--data", str(data), "--split", "val", "--scale", "2", "--method", method,
            "--out", str(out), "--no-progress"]


def _volume(path: Path) -> Path:
    vol = np.stack([phantom(12, seed=k) for k in range(4)], axis=2)
    nib.save(nib.Nifti1Image((vol * 1000).astype(np.int16), np.diag([1.0, 1.0, 2.5, 1.0])), str(path))
    return path


@pytest.mark.parametrize("where", ["compute", "write"])
def test_sigint_in_evaluate_keeps_old_results(study_dataset, tmp_path, capsys, where):
    out = tmp_path / "results"
    assert main(_evaluate(study_dataset, out, "bicubic")) == 0
    capsys.readouterr()
    before = _snapshot(out)
    rc, err = _interrupt(_evaluate(study_dataset, out, "nearest,bilinear"), tmp_path / "ready", where, signal.SIGINT)
    assert rc == 130, err
    assert err.strip().splitlines()[-1] == "mrisr: interrupted" and "Traceback" not in err
    assert _snapshot(out) == before  # byte-identical, no temporary file or lock left


def _upscaled_volume(tmp_path: Path) -> tuple[list[str], Path]:
    """Upscale a small volume once; return the command line and the output folder."""
    (tmp_path / "in").mkdir()
    src = _volume(tmp_path / "in" / "t2.nii.gz")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv = ["upscale", str(src), "--scale", "2", "-o", str(out_dir / "t2_x2.nii.gz"), "--method", "bicubic",
            "--no-progress"]
    assert main(argv) == 0
    return argv, out_dir


@pytest.mark.parametrize("where", ["compute", "write"])
def test_sigint_in_volume_upscale_keeps_old_output(tmp_path, capsys, where):
    argv, out_dir = _upscaled_volume(tmp_path)
    capsys.readouterr()
    before = _snapshot(out_dir)
    rc, err = _interrupt([*argv[:-2], "nearest", "--no-progress"], tmp_path / "ready", where, signal.SIGINT)
    assert rc == 130, err
    assert "Traceback" not in err
    assert _snapshot(out_dir) == before


def test_sigkill_in_volume_upscale_never_leaves_a_partial_output(tmp_path):
    argv, out_dir = _upscaled_volume(tmp_path)
    before = _snapshot(out_dir)
    rc, _ = _interrupt([*argv[:-2], "nearest", "--no-progress"], tmp_path / "ready", "write", signal.SIGKILL)
    assert rc == -signal.SIGKILL
    after = _snapshot(out_dir)
    assert after.pop("t2_x2.nii.gz") == before["t2_x2.nii.gz"]  # the old output, byte-identical
    # at most the killed run's hidden temporary file, which no reader takes for the output
    assert all(name.startswith(".t2_x2.nii.gz.") and ".tmp" in name for name in after), after


def test_killed_run_does_not_block_the_next(study_dataset, tmp_path, capsys):
    out = tmp_path / "results"
    assert main(_evaluate(study_dataset, out, "bicubic")) == 0
    before = _snapshot(out)
    rc, _ = _interrupt(_evaluate(study_dataset, out, "nearest"), tmp_path / "ready", "compute", signal.SIGKILL)
    assert rc == -signal.SIGKILL
    left = _snapshot(out)
    assert left.pop(".mrisr.lock", None) is not None  # the killed run's lock file stays behind ...
    assert left == before
    capsys.readouterr()
    assert main(_evaluate(study_dataset, out, "nearest")) == 0  # ... but the kernel dropped its lock
    assert "replaced the earlier results" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["per_image.csv", "summary.json"]
