"""Exceptions that mark a user mistake rather than a bug.

The CLI turns :class:`InputError` (and ``ValueError``/``OSError`` raised at the
public boundary) into a single line on stderr and exit code 2.
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad user input: a file that cannot be used, a bad option value.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str or Path, optional
        The offending file; it is prefixed to the message.
    """

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        super().__init__(f"{path}: {message}" if path is not None else message)
