"""study/scripts/gpu_session.py: step-time reading, the one- or two-stage plan and the trimmed transport pack."""

from __future__ import annotations

import argparse
import json
import tarfile

import pytest
import torch

from mrisr.models.checkpoint import load_checkpoint, load_model
from mrisr.train.config import parse_train_config
from mrisr.train.loop import train


def test_seconds_per_step_from_metrics(gs, tmp_path):
    m = tmp_path / "metrics.csv"
    m.write_text("step,epoch,wall_hours,train_loss,lr,val_psnr,val_ssim\n"
                 "10,0,0.001,1,1,,\n20,0,0.002,1,1,,\n40,0,0.004,1,1,,\n")
    assert gs.seconds_per_step(gs._hours_by_step(m), 20, 40) == pytest.approx(3600 * 0.002 / 20)


def test_pack_trims_checkpoints_to_ema_weights(gs, tiny_ixi, tiny_config, tmp_path):
    runs = tmp_path / "runs"
    name = gs._name("x2")  # pack finds runs by the names in study/configs/gpu_<job>.yaml
    cfg = parse_train_config(tiny_config(tiny_ixi, name=name, steps=2, val_every=2, ckpt_every=2))
    train(cfg, runs / name, progress=False)
    full = load_checkpoint(runs / name / "last.pt")
    gs.pack(argparse.Namespace(runs=str(runs), out=str(tmp_path / "out"), jobs=["x2"]))
    with tarfile.open(tmp_path / "out" / "x2.tar") as tar:
        names = set(tar.getnames())
        tar.extractall(tmp_path / "back", filter="data")
    assert {f"{name}/last.pt", f"{name}/metrics.csv", f"{name}/config.yaml"} <= names
    assert f"{name}/best.pt" not in names  # only the final state travels
    small = load_checkpoint(tmp_path / "back" / name / "last.pt")
    assert small["optimizer"] is None and small["ema"] is None and small["step"] == full["step"] == 2
    for k, v in full["ema"].items():
        assert torch.equal(small["model"][k], v), k
    model, _ = load_model(tmp_path / "back" / name / "last.pt")  # still starts a later stage
    x = torch.rand(1, 1, 8, 8)
    assert model.upscale(x, (16, 16)).shape == (1, 1, 16, 16)


@pytest.mark.parametrize("l2_fraction, stages", [(0.0, ["probe", "l1"]), (0.25, ["probe", "l1", "l2"])])
def test_l2_fraction_zero_runs_one_stage(gs, tmp_path, monkeypatch, l2_fraction, stages):
    calls = []

    def fake_train(job, runs, sets, extra, log):  # writes what a finished run leaves: metrics and last.pt
        name = next((s.split("=", 1)[1] for s in sets if s.startswith("name=")), gs._name(job))
        kind = "probe" if runs.name == "probe" else "l2" if name.endswith("_l2") else "l1"
        calls.append(kind)
        run = runs / name
        run.mkdir(parents=True, exist_ok=True)
        (run / "metrics.csv").write_text("step,wall_hours\n" + "".join(f"{10 * k},{k / 1000}\n" for k in range(1, 6)))
        (run / "last.pt").write_bytes(b"")
        return 0

    monkeypatch.setattr(gs, "_train", fake_train)
    args = argparse.Namespace(runs=str(tmp_path / "runs"), budget_minutes=5.0, jobs=["x2"], l2_fraction=l2_fraction,
                              probe_minutes=0.01, margin=0.95, overhead_s=0.0, set=[])
    gs.run(args)
    info = json.loads((tmp_path / "runs" / "session.json").read_text())
    assert calls == stages and info["done"]
    assert ("steps_l2" in info["jobs"]["x2"]) == (l2_fraction > 0)
