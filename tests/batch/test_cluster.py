"""A batch on a local Dask cluster: a worker killed mid-batch, every output still written once, completely,
and byte-identical to the single-process run (BLAS and torch pinned to one thread in both)."""

from __future__ import annotations

import json
import os
import signal

import pytest

from mrisr.batch import MANIFEST_NAME, Job, dask_client, find_inputs, plan, run_batch
from tests.batch.conftest import volume

pytest.importorskip("distributed")

# ELRTV: slow enough per volume (~0.1-0.5 s) that the kill lands while items are in flight
JOB = Job("elrtv", {"intensity": "off"}, scale=2, threads=1)
N = 12


def _kill_a_busy_worker(client) -> str:
    pids = client.run(os.getpid)
    busy = [w for w, keys in client.processing().items() if keys] or list(pids)
    os.kill(pids[busy[0]], signal.SIGKILL)
    return busy[0]


@pytest.mark.slow
def test_killed_worker_outputs_match_single_process(tmp_path):
    for i in range(N):
        volume(tmp_path / "in" / f"sub{i:02d}" / "t2.nii.gz", seed=i, shape=(16, 16, 2))
    tasks = lambda out: plan(find_inputs(tmp_path / "in"), out, JOB)  # noqa: E731
    here = run_batch(tasks(tmp_path / "single"), tmp_path / "single", progress=False)
    assert here.done == N

    killed = []
    with dask_client(workers=2) as client:  # the CLI's --workers 2: two processes, one task each
        def on_record(rec):
            if not killed:
                killed.append(_kill_a_busy_worker(client))

        s = run_batch(tasks(tmp_path / "dask"), tmp_path / "dask", progress=False, client=client,
                      on_record=on_record)
    assert killed and (s.done, s.failed, s.skipped) == (N, 0, 0), s.failures

    lines = [json.loads(x) for x in (tmp_path / "dask" / MANIFEST_NAME).read_text().splitlines()]
    assert sorted(r["input"] for r in lines) == sorted(f"sub{i:02d}/t2.nii.gz" for i in range(N))  # once each
    assert all(r["status"] == "done" for r in lines)
    written = sorted(p.relative_to(tmp_path / "dask").as_posix() for p in (tmp_path / "dask").rglob("*")
                     if p.is_file() and p.name != MANIFEST_NAME)
    assert written == [f"sub{i:02d}/t2.nii.gz" for i in range(N)]  # no temporaries, nothing extra
    for i in range(N):
        rel = f"sub{i:02d}/t2.nii.gz"
        assert (tmp_path / "dask" / rel).read_bytes() == (tmp_path / "single" / rel).read_bytes(), rel


def test_same_inputs_twice_on_one_cluster_write_both_batches(tmp_path):
    """Two batches of the same inputs on one client (or two clients of one scheduler) each write every output:
    Dask must not hand the second batch the first one's results under a shared task key."""
    for i in range(2):
        volume(tmp_path / "in" / f"v{i}.nii.gz", seed=i)
    from distributed import Client, LocalCluster

    job = Job("bicubic", scale=2, threads=1)
    with LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster, Client(cluster) as client:
        for out in ("first", "second"):
            s = run_batch(plan(find_inputs(tmp_path / "in"), tmp_path / out, job), tmp_path / out,
                          progress=False, client=client)
            assert (s.done, s.failed) == (2, 0)
            assert sorted(p.name for p in (tmp_path / out).glob("*.nii.gz")) == ["v0.nii.gz", "v1.nii.gz"]
