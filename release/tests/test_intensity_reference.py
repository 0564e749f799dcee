"""release/intensity_reference.py: the intensity range of a study layout's LR images, into a file or a weight entry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mrisr.methods.intensity import IntensityRange
from tests.conftest import make_study_dataset

SCRIPT = Path(__file__).resolve().parents[1] / "intensity_reference.py"


def test_reference_script_measures_a_study_layout(tmp_path):
    root = make_study_dataset(tmp_path / "data", n=5, size=32)
    out = tmp_path / "ref.json"
    r = subprocess.run([sys.executable, str(SCRIPT), "--data", str(root),
                        "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rec = json.loads(out.read_text())
    assert set(rec["scales"]) == {"2", "4"} and rec["scales"]["4"]["images"] == 5
    IntensityRange.from_dict(rec["scales"]["2"]["range"])


def test_reference_script_missing_data_is_one_line(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), "--data",
                        str(tmp_path / "nowhere"), "--out", str(tmp_path / "ref.json")], capture_output=True, text=True)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "data folder not found" in r.stderr and not (tmp_path / "ref.json").exists()


def test_reference_script_records_into_a_weight_entry(tmp_path):
    root = make_study_dataset(tmp_path / "data", n=4, size=32)
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"weights": [{"file": "a.safetensors"}, {"file": "b.safetensors"}]}))
    run = [sys.executable, str(SCRIPT), "--data", str(root), "--index", str(index)]
    r = subprocess.run([*run, "--stem", "b"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    entries = json.loads(index.read_text())["weights"]
    assert "intensity" not in entries[0] and set(entries[1]["intensity"]["scales"]) == {"2", "4"}
    r = subprocess.run([*run, "--stem", "c"], capture_output=True, text=True)
    assert r.returncode != 0 and "no entry for c.safetensors" in r.stderr and "Traceback" not in r.stderr
