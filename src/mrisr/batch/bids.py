"""A BIDS App: super-resolve a BIDS dataset's anatomical images into a BIDS derivatives dataset.

Thick-slice images (one voxel size more than :data:`THICK_RATIO` times the
smaller of the others, read from the header) get slices added through-plane
until their voxels are isotropic; the others are super-resolved in-plane.
Each output keeps the input's entities, adds ``res-<label>`` and
``desc-mrisr``, and gets a sidecar JSON naming its method, factor, source
and mrisr version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mrisr import __version__
from mrisr._atomic import atomic_write_text
from mrisr.batch.job import Job, Task
from mrisr.batch.manifest import MANIFEST_NAME
from mrisr.errors import InputError

#: a voxel size more than this many times the smaller other two marks a thick-slice image
THICK_RATIO = 1.5
BIDS_VERSION = "1.9.0"
#: BIDS entities in the order file names carry them (the BIDS schema's ``rules.entities``, short names)
ENTITY_ORDER = ("sub", "tpl", "ses", "cohort", "sample", "task", "tracksys", "acq", "nuc", "voi", "ce", "trc", "stain",
                "rec", "dir", "run", "mod", "echo", "flip", "inv", "mt", "part", "proc", "hemi", "space", "split",
                "recording", "chunk", "atlas", "seg", "scale", "res", "den", "label", "desc")


def _layout(bids_dir: Path):
    try:
        from bids import BIDSLayout
    except ImportError:
        raise InputError("reading a BIDS dataset needs pybids: pip install 'mrisr[bids]'") from None
    if not (bids_dir / "dataset_description.json").is_file():
        raise InputError("not a BIDS dataset (no dataset_description.json)", bids_dir)
    return BIDSLayout(str(bids_dir), validate=False)


def _labels(values: Sequence[str] | None, prefix: str) -> list[str] | None:
    return [v.removeprefix(prefix) for v in values] if values else None


def find_anat(bids_dir: str | Path, *, participants: Sequence[str] | None = None,
              sessions: Sequence[str] | None = None, suffixes: Sequence[str] = ("T1w", "T2w")) -> list[Path]:
    """The anatomical NIfTI images of the chosen participants, sessions and suffixes, sorted.

    Raises
    ------
    InputError
        A folder that is no BIDS dataset, a participant or session it lacks, or nothing found.
    """
    bids_dir = Path(bids_dir)
    layout = _layout(bids_dir)
    subs, sess = _labels(participants, "sub-"), _labels(sessions, "ses-")
    for asked, have, what in ((subs, layout.get_subjects(), "participant"), (sess, layout.get_sessions(), "session")):
        missing = sorted(set(asked or ()) - set(have))
        if missing:
            raise InputError(f"no {what} {', '.join(missing)} in the dataset (has: {', '.join(sorted(have))})",
                             bids_dir)
    query: dict[str, Any] = {"datatype": "anat", "suffix": list(suffixes), "extension": [".nii", ".nii.gz"]}
    if subs:
        query["subject"] = subs
    if sess:
        query["session"] = sess
    found = sorted(Path(p) for p in layout.get(return_type="filename", **query))
    if not found:
        raise InputError(f"no anatomical {'/'.join(suffixes)} images found for the selection", bids_dir)
    return found


def derivative_name(name: str, res: str, desc: str = "mrisr") -> str:
    """``sub-01_ses-1_T2w.nii.gz`` -> ``sub-01_ses-1_res-<res>_desc-<desc>_T2w.nii.gz`` (entities in BIDS order)."""
    ext = ".nii.gz" if name.endswith(".nii.gz") else Path(name).suffix
    *pairs, suffix = name[: len(name) - len(ext)].split("_")
    entities = dict(p.split("-", 1) for p in pairs)
    entities.update(res=res, desc=desc)
    known = [k for k in ENTITY_ORDER if k in entities]
    other = [k for k in entities if k not in ENTITY_ORDER]  # unknown entities keep their place before res
    keys = known[: known.index("res")] + other + known[known.index("res"):]
    return "_".join(f"{k}-{entities[k]}" for k in keys) + f"_{suffix}{ext}"


def _plan_one(path: Path, scale: float) -> tuple[dict[str, Any], str, str]:
    """Job options, ``res`` label and its description for one image, from its header's voxel sizes."""
    import nibabel as nib
    import numpy as np

    zooms = np.asarray(nib.load(path).header.get_zooms()[:3], dtype=float)
    if len(zooms) == 3:
        axis = int(np.argmax(zooms))
        inplane = float(np.delete(zooms, axis).min())
        if zooms[axis] > THICK_RATIO * inplane:
            factor = float(zooms[axis] / inplane)
            return ({"isotropic": True, "axis": axis, "factor": factor}, "iso",
                    f"isotropic: slices added along axis {axis} ({zooms[axis]:g} mm) to the in-plane {inplane:g} mm")
    label = f"x{scale:g}".replace(".", "p")
    return ({"scale": scale, "axis": 2, "factor": scale}, label,
            f"in-plane voxel size divided by {scale:g} (planes across axis 2)")


def bids_tasks(bids_dir: str | Path, out_dir: str | Path, *, participants: Sequence[str] | None = None,
               sessions: Sequence[str] | None = None, suffixes: Sequence[str] = ("T1w", "T2w"), scale: float = 2.0,
               method: str, through_method: str, params: dict | None = None,
               through_params: dict | None = None, threads: int | None = None) -> list[tuple[str, Task]]:
    """One task per anatomical image: in-plane with ``method`` at ``scale``, or through-plane with ``through_method``.

    Returns (manifest key, task) pairs for :func:`mrisr.batch.run_batch`;
    the key is the input's path relative to ``bids_dir``.
    """
    bids_dir, out_dir = Path(bids_dir).absolute(), Path(out_dir).absolute()  # pybids gives absolute paths
    tasks = []
    for path in find_anat(bids_dir, participants=participants, sessions=sessions, suffixes=suffixes):
        rel = path.relative_to(bids_dir)
        opts, res, meaning = _plan_one(path, scale)
        factor = opts.pop("factor")
        through = opts.get("isotropic", False)
        spec, extra = (through_method, through_params) if through else (method, params)
        job = Job(spec, dict(extra or {}), threads=threads, **opts)
        out = out_dir / rel.parent / derivative_name(rel.name, res)
        sidecar = {
            "Description": f"Super-resolved by mrisr {__version__} ({'through-plane' if through else 'in-plane'})",
            "Sources": [f"bids:raw:{rel.as_posix()}"],
            "Resolution": {res: meaning},
            "Method": spec, "Factor": round(factor, 6), "Direction": "through-plane" if through else "in-plane",
            "Axis": opts["axis"], "Software": "mrisr", "Version": __version__,
        }
        tasks.append((rel.as_posix(), Task(path, out, job, sidecar)))
    return tasks


def write_description(bids_dir: str | Path, out_dir: str | Path) -> Path:
    """Write ``dataset_description.json`` (a derivative dataset generated by mrisr) and ``.bidsignore``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = Path(bids_dir).resolve().as_uri()
    desc = {
        "Name": "mrisr super-resolution",
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "derivative",
        "GeneratedBy": [{"Name": "mrisr", "Version": __version__,
                         "Description": "MRI super-resolution (classical ELRTV and deep LIIF)"}],
        "SourceDatasets": [{"URL": raw}],
        "DatasetLinks": {"raw": raw},
    }
    atomic_write_text(out_dir / ".bidsignore", f"{MANIFEST_NAME}\n")
    path = out_dir / "dataset_description.json"
    atomic_write_text(path, json.dumps(desc, indent=2) + "\n")
    return path
