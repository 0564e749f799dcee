"""One device parser for every command; GPU out-of-memory retries in LIIF inference."""

from __future__ import annotations

import pytest
import torch

from mrisr.cli.main import main
from mrisr.devices import (
    available_devices,
    check_threads,
    limit_threads,
    parse_device,
)
from mrisr.errors import InputError

NO_CUDA = not torch.cuda.is_available()


def test_cpu_and_auto():
    assert parse_device("cpu") == torch.device("cpu")
    assert parse_device(" CPU ") == torch.device("cpu")
    assert parse_device("auto").type in ("cpu", "cuda", "mps")
    assert parse_device(None) == parse_device("auto")
    assert "cpu" in available_devices()


@pytest.mark.parametrize(("name", "close"), [("cdua", "cuda"), ("gpu", "cpu"), ("mpss", "mps"), ("autp", "auto")])
def test_misspelt_names_the_closest(name, close):
    with pytest.raises(InputError, match=f"did you mean '{close}'"):
        parse_device(name)


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_missing_cuda_names_what_exists(name):
    with pytest.raises(InputError, match=r"not available on this machine \(available: cpu"):
        parse_device(name)


def test_device_params_only_for_liif():
    from mrisr.methods import device_params

    assert device_params("liif-x2", "cpu") == {"device": "cpu"}
    assert device_params("liif:run/best.pt", "cuda:1") == {"device": "cuda:1"}
    assert device_params("elrtv", "cuda") == {} and device_params("bicubic", "cpu") == {}
    assert device_params("liif-x2", None) == {}


def test_threads():
    before = torch.get_num_threads()
    with limit_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InputError, match="threads must be"):
            check_threads(bad)


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
@pytest.mark.parametrize("command", [
    ["upscale", "x.png", "-o", "y.png", "--scale", "2"],
    ["evaluate", "--data", "d", "--split", "val", "--scale", "2", "--method", "bicubic"],
    ["test", "--checkpoint", "c.pt", "--data", "d", "--split", "val", "--scale", "2"],
    ["report", "--data", "d", "--split", "val", "--scales", "2", "--methods", "bicubic", "--out", "r"],
    ["demo"],
    ["train", "--config", "c.yaml"],
])
@pytest.mark.parametrize(("device", "says"), [("cuda", "not available on this machine (available: cpu"),
                                              ("cdua", "did you mean 'cuda'")])
def test_every_command_says_it_in_one_line(command, device, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--device", device]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_every_computing_command_takes_threads(capsys):
    from mrisr.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in ("upscale", "evaluate", "report", "demo", "test", "train", "bids"):
        opts = {o for a in sub.choices[name]._actions for o in a.option_strings}
        assert {"--device", "--threads"} <= opts, name


def test_liif_out_of_memory_retries_smaller_then_says_what_to_set(tmp_path, caplog):
    from mrisr.models.method import MIN_CHUNK, LIIFMethod
    from mrisr.weights import entry_for, verified_path

    method = LIIFMethod(verified_path(entry_for("liif-x2")), batch_size=4)
    calls = []
    real = method.model.upscale

    def fake(t, shape, *, chunk=None):  # a GPU that fits batches of 1 and chunks of 2048 queries
        calls.append((len(t), chunk))
        if len(t) > 1 or (chunk or 8192) > 2048:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(t, shape, chunk=chunk)

    method.model.upscale = fake
    lr = torch.rand(3, 8, 8).numpy()
    with caplog.at_level("WARNING"):
        out = method(lr, (16, 16))
    assert out.shape == (3, 16, 16)
    assert (method.batch_size, method.chunk) == (1, 2048)
    assert "retrying with batch size" in caplog.text
    method.model.upscale = lambda *a, **k: (_ for _ in ()).throw(torch.OutOfMemoryError("CUDA out of memory"))
    with pytest.raises(InputError, match=f"out of memory even with one image at a time and --chunk {MIN_CHUNK}"):
        method(lr, (16, 16))


def test_fast_bfloat16_is_a_cpu_property_and_says_no_when_it_cannot_tell(monkeypatch):
    from mrisr.devices import fast_bfloat16

    assert fast_bfloat16(torch.device("meta")) is False  # only a CPU is asked
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: False)
    assert fast_bfloat16(torch.device("cpu")) is False  # no oneDNN: autocast would not pay
