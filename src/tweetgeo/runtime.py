"""TensorFlow runtime set-up: quiet logs, seeds, determinism, devices, strategy and precision."""

from __future__ import annotations

import functools
import json
import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is imported anywhere

from tweetgeo.quiet import native_stderr_silenced  # noqa: E402

with native_stderr_silenced():  # TF 2.21 prints absl/oneDNN/CUDA lines whatever the log level
    import keras
    import tensorflow as tf

log = logging.getLogger("tweetgeo")

LOGICAL_CPUS_ENV = "TWEETGEO_LOGICAL_CPUS"  # split the CPU into N devices (try `mirrored` without GPUs)


def _split_cpu() -> None:
    """With TWEETGEO_LOGICAL_CPUS=N, TensorFlow sees N logical CPU devices (set before first use)."""
    wanted = int(os.environ.get(LOGICAL_CPUS_ENV, "0") or 0)
    if wanted > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(wanted)])


_split_cpu()


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Fix Python/NumPy/TF seeds; make TF ops deterministic (cheap on CPU)."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def gpus() -> list:
    return tf.config.list_physical_devices("GPU")


def _local(kind: str) -> list:
    """This process's logical devices of a kind (a multi-worker cluster also lists the others')."""
    job, index = task()
    return [d for d in tf.config.list_logical_devices(kind)
            if "/job:" not in d.name or "/job:localhost/" in d.name or f"/job:{job}/replica:0/task:{index}/" in d.name]


def device_name() -> str:
    """'gpu:N' when TensorFlow sees GPUs, else 'cpu' (or 'cpu:N' for N logical CPU devices)."""
    found = gpus()
    if found:
        return f"gpu:{len(found)}"
    cpus = _local("CPU")
    return f"cpu:{len(cpus)}" if len(cpus) > 1 else "cpu"


def mirrored_devices() -> list[str]:
    """The devices `mirrored` spreads a batch over: every GPU, else every logical CPU device."""
    return [d.name for d in _local("GPU") or _local("CPU")]


@functools.cache
def distribution_strategy(name: str) -> tf.distribute.Strategy:
    """TensorFlow's own strategies: default (one device), mirrored (one machine), multi_worker.

    Made once per process: a MultiWorkerMirroredStrategy cannot be created twice, and k-fold
    cross-validation builds a model per fold. multi_worker reads the cluster from TF_CONFIG.
    """
    if name == "mirrored":
        _patch_keras_symbolic_build()
        return tf.distribute.MirroredStrategy(devices=mirrored_devices())
    if name == "multi_worker":
        _patch_keras_symbolic_build()
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def _patch_keras_symbolic_build() -> None:
    """Work around Keras 3's TF trainer under a distribution strategy (tests/test_strategy.py).

    Before the first fit/evaluate step, `TensorFlowTrainer._maybe_symbolic_build` MEAN-reduces
    the first distributed batch across replicas only to learn its shapes and dtypes. That fails
    for raw-text inputs (no AddN of strings) and for every input under MultiWorkerMirroredStrategy
    (a PerReplica cannot become a Tensor). One replica's own batch has the same shapes and
    dtypes, so it is used instead. Patched once, only when a strategy is asked for.
    """
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    original = TensorFlowTrainer._maybe_symbolic_build
    if getattr(original, "tweetgeo_patched", False):
        return

    def local_batch(strategy: tf.distribute.Strategy, batch):
        def first_replica(value):
            if isinstance(value, tf.distribute.DistributedValues):
                return strategy.experimental_local_results(value)[0]
            return value
        return tf.nest.map_structure(first_replica, batch)

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if self._distribute_strategy is not None and iterator is not None:
            for _, _, it in iterator:
                data_batch = local_batch(self.distribute_strategy, next(it))
                break
        return original(self, data_batch=data_batch)

    maybe_symbolic_build.tweetgeo_patched = True
    TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    _patch_keras_multi_worker_mean()


def _patch_keras_multi_worker_mean() -> None:
    """Keras 3 averages each step's logs over workers with `reduce("MEAN", v, axis=0)`; the logs
    (loss, metrics) are scalars, which have no axis 0. Average scalars over replicas (axis=None)."""
    from keras.src.backend.tensorflow import trainer

    original = trainer.reduce_per_replica
    if getattr(original, "tweetgeo_patched", False):
        return

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            def mean(v):
                local = v.values[0] if isinstance(v, tf.distribute.DistributedValues) else v
                if getattr(local, "shape", None) is not None and local.shape.rank == 0:
                    return strategy.reduce("MEAN", v, axis=None)
                return original(v, strategy, reduction)
            return tf.nest.map_structure(mean, values)
        return original(values, strategy, reduction)

    reduce_per_replica.tweetgeo_patched = True
    trainer.reduce_per_replica = reduce_per_replica


def task() -> tuple[str, int]:
    """(type, index) of this process in TF_CONFIG's cluster; ('chief', 0) without one."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    spec = config.get("task") or {}
    return str(spec.get("type", "chief")), int(spec.get("index", 0))


def is_chief() -> bool:
    """True for the process whose outputs count: TF_CONFIG's chief, or worker 0 when there is no chief."""
    kind, index = task()
    has_chief = "chief" in (json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster") or {})
    return kind == "chief" or (kind == "worker" and index == 0 and not has_chief)


def set_precision(mixed: bool) -> str:
    """mixed_float16 only on a GPU (it slows CPUs down); returns the policy used."""
    policy = "mixed_float16" if mixed and gpus() else "float32"
    keras.mixed_precision.set_global_policy(policy)
    return policy


_logged: set[str] = set()


def log_once(key: str, message: str) -> None:
    """A warning printed once per process (e.g. a layer option that forces a slow kernel)."""
    if key not in _logged:
        _logged.add(key)
        log.warning(message)


def rnn_kernel_note(cell: str, recurrent_dropout: float) -> None:
    """Keras runs GRU/LSTM on cuDNN kernels only with their defaults; say when an option forbids it."""
    if recurrent_dropout > 0:
        log_once(f"rnn-{cell}-slow", f"{cell.upper()}: recurrent_dropout={recurrent_dropout} keeps it off the "
                 f"cuDNN kernel on a GPU (the generic kernel is several times slower); 0 keeps cuDNN")
