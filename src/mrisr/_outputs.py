"""Output paths checked before any work: files, folders and the lock of an output folder.

The policy, the same for PNG, TIFF, NIfTI, YAML and result folders:

- a path that cannot work (an existing folder where a file is expected, the
  input itself, a wrong suffix for the format, a missing or unwritable folder)
  is refused in one line naming the path, before anything is computed;
- an existing output file is replaced, and the command says so. Files are
  written under a temporary name and renamed (:mod:`mrisr._atomic`), so the old
  file stays intact until the new one is complete, and an interrupted run
  leaves the old file byte-identical;
- an output folder is locked (``OUT/.mrisr.lock``, ``fcntl.flock``) for the
  whole run, so a second run into the same folder stops with one line instead
  of silently mixing or losing results. The kernel drops the lock of a killed
  run, so a stale lock file never blocks. A folder created for a run that then
  fails is removed again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from mrisr._atomic import check_output_dir
from mrisr.errors import InputError

LOCK_NAME = ".mrisr.lock"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output_file(
    path: str | Path, *, suffixes: Iterable[str] = (), inputs: Iterable[str | Path] = ()
) -> bool:
    """Check, before any work is done, that ``path`` can be written as an output file.

    Parameters
    ----------
    path : str or Path
        The output file.
    suffixes : iterable of str, optional
        Accepted endings (lower case, e.g. ``('.nii', '.nii.gz')``); empty: any.
    inputs : iterable of str or Path, optional
        Input files that must not be overwritten by the output.

    Returns
    -------
    bool
        True when ``path`` exists and will be replaced (the caller says so).

    Raises
    ------
    InputError
        ``path`` is a folder or an input, has the wrong suffix, or its folder
        is missing or not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder; give a file name for the output", path)
    suffixes = tuple(suffixes)
    if suffixes and not path.name.lower().endswith(suffixes):
        endings = ", ".join(suffixes[:-1]) + (" or " if len(suffixes) > 1 else "") + suffixes[-1]
        raise InputError(f"output must end in {endings}", path)
    if any(_same_file(path, Path(src)) for src in inputs):
        raise InputError("output is the input file; choose another output name", path)
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"output folder {folder} does not exist", path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"output folder {folder} is not writable", path)
    return path.exists()


def replaced_note(existed: bool) -> str:
    """The suffix a command's 'wrote ...' line gets when it replaced a file."""
    return " (replaced the existing file)" if existed else ""


def _make_folders(path: Path) -> Path | None:
    """Create ``path`` and its missing parents; return the topmost folder this call created."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    top = None
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:  # another run made it: not ours to remove
            continue
        top = top or folder
    return top


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder/.mrisr.lock``; refuse at once if held."""
    import fcntl  # POSIX only: imported here so that the file checks above work everywhere

    lock = folder / LOCK_NAME
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(
                f"another mrisr run is writing to this folder (lock {LOCK_NAME}); "
                "wait for it to finish or choose another --out", folder,
            ) from None
        try:  # the holder before us may have removed the file after we opened it: lock the current one
            if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()  # while still held, so no one locks the removed file
        os.close(fd)


@contextlib.contextmanager
def output_folder(path: str | Path) -> Iterator[Path]:
    """Create and lock the output folder ``path`` for one run.

    The folder is checked (:func:`mrisr._atomic.check_output_dir`), created
    with its parents if missing, and locked until the block ends. If the block
    fails, or another run holds the lock, folders this call created are removed.

    Raises
    ------
    InputError
        The folder cannot be created or written, or another run holds its lock.
    """
    path = check_output_dir(path)
    created = _make_folders(path)
    try:
        with _folder_lock(path):
            yield path
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
