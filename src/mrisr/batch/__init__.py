"""Whole studies: super-resolve a folder, a list of files or a BIDS dataset, resumably, here or on a Dask cluster.

>>> from mrisr.batch import Job, find_inputs, plan, run_batch          # doctest: +SKIP
>>> tasks = plan(find_inputs("exports/"), "sr/", Job("elrtv", scale=2))
>>> print(run_batch(tasks, "sr/").line())
20 done, 0 skipped, 1 failed in 31.0 s

The output folder's ``mrisr-manifest.jsonl`` records every finished input (its
SHA-256, method, parameters, mrisr version, status, error and seconds); a rerun
skips what it records as done and redoes what changed or failed.
"""

from mrisr.batch.inputs import Item, find_inputs, is_batch_input, output_name, sha256_of
from mrisr.batch.job import Job, Task, process
from mrisr.batch.manifest import MANIFEST_NAME, Manifest
from mrisr.batch.runner import Summary, dask_client, plan, run_batch

__all__ = [
    "MANIFEST_NAME", "Item", "Job", "Manifest", "Summary", "Task", "dask_client", "find_inputs",
    "is_batch_input", "output_name", "plan", "process", "run_batch", "sha256_of",
]
