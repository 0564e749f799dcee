"""Training engine for LIIF-family models: config, patch sampling, loop, checkpoints."""

from mrisr.train.config import DataConfig, ModelSpec, OptimConfig, TrainConfig, load_train_config

__all__ = ["DataConfig", "ModelSpec", "OptimConfig", "TrainConfig", "load_train_config", "train"]


def train(*args, **kwargs):
    """Run training; see :func:`mrisr.train.loop.train`."""
    from mrisr.train.loop import train as _train

    return _train(*args, **kwargs)
