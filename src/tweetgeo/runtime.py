"""TensorFlow runtime set-up: quiet logs, seeds, determinism, device and strategy."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is imported anywhere

from tweetgeo.quiet import native_stderr_silenced  # noqa: E402

with native_stderr_silenced():  # TF 2.21 prints absl/oneDNN/CUDA lines whatever the log level
    import keras
    import tensorflow as tf


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Fix Python/NumPy/TF seeds; make TF ops deterministic (cheap on CPU)."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def gpus() -> list:
    return tf.config.list_physical_devices("GPU")


def device_name() -> str:
    """'gpu:N' when TensorFlow sees GPUs, else 'cpu'."""
    found = gpus()
    return f"gpu:{len(found)}" if found else "cpu"


def distribution_strategy(name: str) -> tf.distribute.Strategy:
    """TensorFlow's own strategies: default (one device), mirrored (GPUs), multi_worker."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def set_precision(mixed: bool) -> str:
    """mixed_float16 only on a GPU (it slows CPUs down); returns the policy used."""
    policy = "mixed_float16" if mixed and gpus() else "float32"
    keras.mixed_precision.set_global_policy(policy)
    return policy
