"""Training loop: smoke run from inline YAML, exact resume, DDP (world size 1), checkpoints."""

from __future__ import annotations

import csv
import socket

import pytest
import torch
import yaml

from mrisr.cli.main import main
from mrisr.errors import InputError
from mrisr.models.checkpoint import export_weights, load_checkpoint, load_model, save_checkpoint
from mrisr.train.config import parse_train_config
from mrisr.train.loop import train


def _losses(run_dir):
    with open(run_dir / "metrics.csv") as fh:
        return [float(r["train_loss"]) for r in csv.DictReader(fh) if r["train_loss"]]


def test_cli_smoke_run_writes_everything(tiny_ixi, tiny_config, tmp_path, capsys):
    cfg_path = tmp_path / "tiny.yaml"
    cfg_path.write_text(yaml.safe_dump(tiny_config(tiny_ixi)))
    assert main(["train", "--config", str(cfg_path), "--runs", str(tmp_path / "runs"), "--no-progress"]) == 0
    run = tmp_path / "runs" / "t"
    for f in ("config.yaml", "command.txt", "metrics.csv", "last.pt", "best.pt"):
        assert (run / f).is_file(), f
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tb")).Reload()
    assert {"train/loss", "train/lr", "train/epoch", "val/psnr", "val/ssim"} <= set(events.Tags()["scalars"])
    assert "val/sample_x2" in events.Tags()["images"]
    rows = list(csv.DictReader(open(run / "metrics.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[2]["val_psnr"] and float(rows[2]["val_psnr"]) > 10
    assert "best val PSNR" in capsys.readouterr().out
    # a second run into the same folder without --resume is refused with exit 2
    assert main(["train", "--config", str(cfg_path), "--runs", str(tmp_path / "runs"), "--no-progress"]) == 2


def test_resume_continues_the_uninterrupted_curve(tiny_ixi, tiny_config, tmp_path):
    cfg = parse_train_config(tiny_config(tiny_ixi, val_every=100, ckpt_every=100))
    full = train(cfg, tmp_path / "full", progress=False)
    train(cfg, tmp_path / "split", progress=False, max_steps=3)
    resumed = train(cfg, tmp_path / "split", progress=False, resume=True)
    assert resumed["step"] == full["step"] == 6
    assert _losses(tmp_path / "split") == pytest.approx(_losses(tmp_path / "full"), rel=1e-5, abs=1e-7)
    a = load_checkpoint(tmp_path / "full" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "split" / "last.pt")["model"]
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6), k


def test_wall_time_limit_stops_saves_and_resumes_onto_the_same_schedule(tiny_ixi, tiny_config, tmp_path):
    cfg = parse_train_config(tiny_config(tiny_ixi, val_every=100, ckpt_every=100))
    full = train(cfg, tmp_path / "full", progress=False)
    # a limit of 0 s is exceeded by the first step: stop there, validated and saved like a planned end
    cut = train(cfg, tmp_path / "cut", progress=False, max_seconds=0.0)
    assert cut["step"] == 1 and cut["last_val"]["psnr"] > 10
    ck = load_checkpoint(tmp_path / "cut" / "last.pt")
    assert ck["step"] == 1 and ck["config"]["steps"] == 6  # the schedule still spans all steps
    resumed = train(cfg, tmp_path / "cut", progress=False, resume=True)
    assert resumed["step"] == full["step"] == 6
    assert _losses(tmp_path / "cut") == pytest.approx(_losses(tmp_path / "full"), rel=1e-5, abs=1e-7)


def test_cli_max_minutes(tiny_ixi, tiny_config, tmp_path):
    cfg_path = tmp_path / "tiny.yaml"
    cfg_path.write_text(yaml.safe_dump(tiny_config(tiny_ixi, val_every=100, ckpt_every=100)))
    args = ["train", "--config", str(cfg_path), "--runs", str(tmp_path / "runs"), "--no-progress"]
    assert main([*args, "--max-minutes", "0"]) == 0
    assert load_checkpoint(tmp_path / "runs" / "t" / "last.pt")["step"] == 1
    assert main([*args, "--resume", "--max-minutes", "60"]) == 0
    assert load_checkpoint(tmp_path / "runs" / "t" / "last.pt")["step"] == 6


def test_resume_without_checkpoint_is_a_clear_error(tiny_ixi, tiny_config, tmp_path):
    cfg = parse_train_config(tiny_config(tiny_ixi))
    with pytest.raises(InputError, match="no last.pt"):
        train(cfg, tmp_path / "none", resume=True, progress=False)


def test_on_the_fly_non_integer_scales(tiny_ixi, tiny_config, tmp_path):
    data = {"root": str(tiny_ixi), "mode": "on_the_fly", "scale_range": [1.3, 3.7], "lr_patch": 8,
            "queries": 64, "val_pairs": [[2, 1]]}
    cfg = parse_train_config(tiny_config(tiny_ixi, data=data, steps=2, val_every=2))
    out = train(cfg, tmp_path / "otf", progress=False)
    assert out["step"] == 2 and out["last_val"]["psnr"] > 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_path_world_size_one(tiny_ixi, tiny_config, tmp_path, monkeypatch):
    import torch.distributed as dist

    for k, v in {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()), "RANK": "0",
                 "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MRISR_FORCE_DDP": "1"}.items():
        monkeypatch.setenv(k, v)
    cfg = parse_train_config(tiny_config(tiny_ixi, steps=2, val_every=2, ckpt_every=2))
    try:
        out = train(cfg, tmp_path / "ddp", progress=False, device="cpu")
        assert dist.is_initialized() and dist.get_world_size() == 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    assert out["step"] == 2
    # the checkpoint holds plain (unwrapped) weights
    assert not any(k.startswith("module.") for k in load_checkpoint(tmp_path / "ddp" / "last.pt")["model"])


def test_checkpoint_round_trip_and_export(tiny_ixi, tiny_config, tmp_path):
    cfg = parse_train_config(tiny_config(tiny_ixi, steps=2, val_every=2, ckpt_every=2))
    train(cfg, tmp_path / "r", progress=False)
    ck = tmp_path / "r" / "last.pt"
    model_pt, info = load_model(ck)
    assert info["step"] == 2
    st = export_weights(ck, tmp_path / "w.safetensors", info={"steps": 2})
    model_st, meta = load_model(st)
    assert meta["steps"] == 2 and meta["model_spec"] == info["model_spec"]
    lr = torch.rand(1, 1, 8, 8)
    assert torch.equal(model_pt.upscale(lr, (19, 19)), model_st.upscale(lr, (19, 19)))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_foreign_files_are_refused(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(InputError, match="not a loadable mrisr checkpoint"):
        load_checkpoint(bad)
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(InputError, match="not an mrisr checkpoint"):
        load_model(other)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(InputError, match="safetensors"):
        load_model(junk)
    wrong = tmp_path / "wrong.pt"
    save_checkpoint(wrong, {"model_spec": {"name": "liif", "args": {}}, "model": {"x": torch.zeros(1)}})
    with pytest.raises(InputError, match="do not match"):
        load_model(wrong)


def test_global_rng_states_round_trip_through_a_checkpoint(tmp_path):
    import random

    import numpy as np

    from mrisr.train.loop import _rng_state, _set_rng_state

    path = save_checkpoint(tmp_path / "r.pt", {"rng": _rng_state()})
    expected = (torch.rand(3), np.random.rand(3), random.random())
    _set_rng_state(load_checkpoint(path)["rng"])
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(3), expected[1])
    assert random.random() == expected[2]


def test_init_starts_from_other_weights_and_records_them(tiny_ixi, tiny_config, tmp_path):
    cfg = parse_train_config(tiny_config(tiny_ixi, steps=2, val_every=2, ckpt_every=2))
    train(cfg, tmp_path / "parent", progress=False)
    st = export_weights(tmp_path / "parent" / "last.pt", tmp_path / "p.safetensors", info={"steps": 2, "hours": 0.1})
    parent, _ = load_model(st)
    child_cfg = parse_train_config(tiny_config(tiny_ixi, steps=1, val_every=1, ckpt_every=1, init=str(st),
                                               optim={"lr": 1e-12, "schedule": "constant"}))
    train(child_cfg, tmp_path / "child", progress=False)
    ck = load_checkpoint(tmp_path / "child" / "last.pt")
    assert ck["init"]["path"] == str(st) and ck["init"]["steps"] == 2 and ck["init"]["hours"] == 0.1
    # one step at a vanishing learning rate leaves the initial weights in place
    for k, v in parent.state_dict().items():
        assert torch.allclose(ck["model"][k], v, atol=1e-6), k
    # a different architecture is refused with the file named
    bad = tiny_config(tiny_ixi, init=str(st))
    bad["model"]["args"]["mlp_hidden"] = [8]
    with pytest.raises(InputError, match="different model spec"):
        train(parse_train_config(bad), tmp_path / "bad", progress=False)
    # a wider MLP of the same depth is grown from them and starts from the same function
    wide = tiny_config(tiny_ixi, steps=1, val_every=1, ckpt_every=1, init=str(st))
    wide["model"]["args"]["mlp_hidden"] = [32, 16]
    train(parse_train_config(wide), tmp_path / "wide", progress=False)
    ck = load_checkpoint(tmp_path / "wide" / "last.pt")
    assert ck["init"]["widened_from"] == [16, 16] and ck["model_spec"]["args"]["mlp_hidden"] == [32, 16]
    assert torch.allclose(ck["model"]["encoder.head.weight"], parent.state_dict()["encoder.head.weight"], atol=1e-3)


def test_cpu_bfloat16_autocast_tracks_float32(tiny_ixi, tiny_config, tmp_path):
    runs = {}
    for name, bf16 in (("fp32", False), ("bf16", True)):
        cfg = parse_train_config(tiny_config(tiny_ixi, steps=5, val_every=5, ckpt_every=5, cpu_bf16=bf16,
                                             device="cpu"))
        runs[name] = train(cfg, tmp_path / name, progress=False)
    a, b = _losses(tmp_path / "fp32"), _losses(tmp_path / "bf16")
    assert a != b  # autocast really ran in bfloat16 ...
    assert b == pytest.approx(a, rel=0.05)  # ... and follows the float32 run closely
    # weights stay float32; validation renders in float32
    assert all(v.dtype == torch.float32 for v in load_checkpoint(tmp_path / "bf16" / "last.pt")["model"].values())
    assert runs["bf16"]["last_val"]["psnr"] == pytest.approx(runs["fp32"]["last_val"]["psnr"], abs=0.5)


def test_l2_loss_option_is_used(tiny_ixi, tiny_config, tmp_path):
    first = {}
    for loss in ("l1", "l2"):
        cfg = parse_train_config(tiny_config(tiny_ixi, steps=1, val_every=1, ckpt_every=1, log_every=1, loss=loss))
        train(cfg, tmp_path / loss, progress=False)
        first[loss] = _losses(tmp_path / loss)[0]
    # same first batch and weights: residual errors are well below 1, so their mean square is below their mean
    # absolute value, and the mean square is at least the squared mean absolute value
    assert first["l1"] ** 2 <= first["l2"] < first["l1"]
    with pytest.raises(ValueError, match="loss must be"):
        parse_train_config(tiny_config(tiny_ixi, loss="huber"))


def test_synthetic_pairs_train_and_validate_on_the_stored_pairs(tiny_ixi, tiny_config, tmp_path):
    data = {"root": str(tiny_ixi), "mode": "synthetic", "pairs": [[2, 1]], "lr_patch": 8, "queries": 32,
            "operator": {"kind": "gaussian", "sigma": 1.0}, "quantise": "round", "foreground_min": 0.0}
    cfg = parse_train_config(tiny_config(tiny_ixi, data=data, steps=2, val_every=2))
    out = train(cfg, tmp_path / "syn", progress=False)
    assert out["step"] == 2 and set(out["last_val"]) >= {"psnr_x2", "ssim_x2"}


def test_threads_caps_numpy_blas_during_the_run_only(tiny_ixi, tiny_config, tmp_path, monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    import mrisr.train.loop as loop

    def blas_threads():
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    seen = []
    monkeypatch.setattr(loop, "_train", lambda *a, **k: seen.append(blas_threads()) or {})
    cfg = parse_train_config(tiny_config(tiny_ixi, threads=1))
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == {2}  # numpy has a BLAS that threadpoolctl can see, so the check below can fail
        train(cfg, tmp_path / "run", progress=False)
        assert seen == [{1}]
        assert blas_threads() == {2}  # restored when the run returns


@pytest.mark.parametrize("bad", ["init", "data_root", "val_split"])
def test_a_failed_start_leaves_no_run_folder(tiny_ixi, tiny_config, tmp_path, bad):
    over = {"init": {"init": str(tmp_path / "missing.safetensors")},
            "data_root": {"data": {"root": str(tmp_path / "no data"), "pairs": [[2, 1]], "lr_patch": 8}},
            "val_split": {"data": {"root": str(tiny_ixi), "pairs": [[2, 1]], "lr_patch": 8, "val_split": "nope"}}}
    cfg_path = tmp_path / "bad.yaml"
    cfg_path.write_text(yaml.safe_dump(tiny_config(tiny_ixi, **over[bad])))
    runs = tmp_path / "runs"
    assert main(["train", "--config", str(cfg_path), "--runs", str(runs), "--no-progress"]) == 2
    assert not runs.exists()


class _Interrupt(Exception):
    pass


def _interrupt_at(monkeypatch, step: int) -> None:
    """Make the sampler raise when asked for ``step`` (0-based), i.e. stop after ``step`` steps."""
    from mrisr.train.data import PatchSampler

    real = PatchSampler.sample

    def sample(self, i, *args):
        if i == step:
            raise _Interrupt
        return real(self, i, *args)

    monkeypatch.setattr(PatchSampler, "sample", sample)


def _tb_scalars(run_dir, tag):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    return [(e.step, e.value) for e in EventAccumulator(str(run_dir / "tb")).Reload().Scalars(tag)]


def test_resume_purges_tensorboard_steps_logged_after_the_checkpoint(tiny_ixi, tiny_config, tmp_path, monkeypatch):
    cfg = parse_train_config(tiny_config(tiny_ixi, ckpt_every=3, val_every=3, log_every=1))
    run = tmp_path / "run"
    with monkeypatch.context() as m:
        _interrupt_at(m, 4)  # steps 1-4 logged, the checkpoint holds step 3
        with pytest.raises(_Interrupt):
            train(cfg, run, progress=False)
    assert [s for s, _ in _tb_scalars(run, "train/loss")] == [1, 2, 3, 4]
    assert load_checkpoint(run / "last.pt")["step"] == 3
    train(cfg, run, progress=False, resume=True)
    loss = _tb_scalars(run, "train/loss")
    assert [s for s, _ in loss] == [1, 2, 3, 4, 5, 6]  # step 4, run twice, appears once
    assert [s for s, _ in _tb_scalars(run, "val/psnr")] == [3, 6]
    assert [v for _, v in loss] == pytest.approx(_losses(run), rel=1e-6)  # TensorBoard agrees with metrics.csv


def test_killed_run_resumes_exactly(tiny_ixi, tiny_config, tmp_path):
    """``kill -9`` between checkpoints, then ``--resume``: the same losses and weights as one run."""
    import subprocess
    import sys

    cfg_path = tmp_path / "tiny.yaml"
    cfg_path.write_text(yaml.safe_dump(tiny_config(tiny_ixi, ckpt_every=3, val_every=3)))
    args = ["train", "--config", str(cfg_path), "--no-progress"]
    assert main([*args, "--runs", str(tmp_path / "full")]) == 0
    kill = (
        "import os, signal, sys\n"
        "from mrisr.train.data import PatchSampler\n"
        "real = PatchSampler.sample\n"
        "def sample(self, i, *a):\n"
        "    if i == 4:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(self, i, *a)\n"
        "PatchSampler.sample = sample\n"
        "from mrisr.cli.main import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    killed = subprocess.run([sys.executable, "-c", kill, *args, "--runs", str(tmp_path / "split")], check=False)
    assert killed.returncode == -9
    split, full = tmp_path / "split" / "t", tmp_path / "full" / "t"
    assert load_checkpoint(split / "last.pt")["step"] == 3 and len(_losses(split)) == 4
    assert main([*args, "--runs", str(tmp_path / "split"), "--resume"]) == 0
    assert _losses(split) == _losses(full)  # re-run steps bit-identical
    a, b = load_checkpoint(full / "last.pt"), load_checkpoint(split / "last.pt")
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k


def test_interrupted_run_keeps_its_last_checkpoint_and_resumes_exactly(tiny_ixi, tiny_config, tmp_path):
    """Ctrl-C (SIGINT) between checkpoints: exit 130, the last checkpoint whole, no temporaries, and
    ``--resume`` then gives the same losses and weights as an uninterrupted run."""
    import subprocess
    import sys

    cfg_path = tmp_path / "tiny.yaml"
    cfg_path.write_text(yaml.safe_dump(tiny_config(tiny_ixi, ckpt_every=3, val_every=3)))
    args = ["train", "--config", str(cfg_path), "--no-progress"]
    assert main([*args, "--runs", str(tmp_path / "full")]) == 0
    interrupt = (
        "import os, signal, sys\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # a background shell may have ignored it
        "from mrisr.train.data import PatchSampler\n"
        "real = PatchSampler.sample\n"
        "def sample(self, i, *a):\n"
        "    if i == 4:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real(self, i, *a)\n"
        "PatchSampler.sample = sample\n"
        "from mrisr.cli.main import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    run = subprocess.run([sys.executable, "-c", interrupt, *args, "--runs", str(tmp_path / "split")],
                         check=False, capture_output=True, text=True)
    assert run.returncode == 130 and "Traceback" not in run.stderr, run.stderr
    split, full = tmp_path / "split" / "t", tmp_path / "full" / "t"
    assert load_checkpoint(split / "last.pt")["step"] == 3
    assert not [p.name for p in split.iterdir() if ".tmp" in p.name]
    assert main([*args, "--runs", str(tmp_path / "split"), "--resume"]) == 0
    assert _losses(split) == _losses(full)
    a, b = load_checkpoint(full / "last.pt"), load_checkpoint(split / "last.pt")
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
