"""The batch manifest: one JSON line per finished item, appended and flushed to disk as each finishes."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: the manifest's file name in the output folder
MANIFEST_NAME = "mrisr-manifest.jsonl"

#: the fields of every line
FIELDS = ("input", "output", "sha256", "method", "params", "version", "status", "error", "seconds")


class Manifest:
    """The record of what a batch has done, in ``OUT/mrisr-manifest.jsonl``.

    Each line is a JSON object with :data:`FIELDS`; ``status`` is ``'done'``
    or ``'failed'``. Lines are only appended, each flushed and fsynced, so a
    batch killed at any moment leaves every finished item recorded (a line cut
    short by the kill is ignored when the file is read back). An input's last
    line is its state.

    Parameters
    ----------
    path : str or Path
        The manifest file (created on the first record).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.last: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        text = self.path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                logger.warning("%s: line %d is not JSON (cut short by a kill?), ignored", self.path, n)
                continue
            if isinstance(rec, dict) and "input" in rec:
                self.last[rec["input"]] = rec
        if text and not text.endswith("\n"):  # a cut-short line: the next record starts on a line of its own
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write("\n")

    def is_done(self, record: dict[str, Any], output: Path) -> bool:
        """True when ``record``'s input was done with the same hash, method and parameters, and its output exists."""
        last = self.last.get(record["input"])
        if last is None or last.get("status") != "done" or not output.exists():
            return False
        return all(last.get(k) == record[k] for k in ("sha256", "method", "params"))

    def append(self, record: dict[str, Any]) -> None:
        """Append one line and force it to disk."""
        line = json.dumps({k: record.get(k) for k in FIELDS}, sort_keys=False)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.last[record["input"]] = record
