"""Multi-device and multi-host plumbing: the one axis name and every collective live here.

Training and evaluation steps are `jax.pmap`ped over the local devices of each process, with
the mapped axis named `AXIS`. Under `jax.distributed` several processes (hosts) run the same
program; `pmap` then spans every device of every process, so the collectives below reduce
over the whole global batch. Nothing else in the library names the axis or calls `lax.p*`.

Batch layout: the global batch of `B` examples is split first over hosts (the data pipeline
gives host `i` rows [i·B/P, (i+1)·B/P), P = process count), then over the host's `n` local
devices: a host batch [B/P, ...] becomes [n, B/(P·n), ...] (`shard_batch`).

Replicated values (parameters, optimizer state) carry a leading device axis [n, ...] on each
host: `replicate` adds it, `unreplicate` takes the first local copy back to host memory.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any, Callable, Dict, Optional

import jax
import numpy as np

from lru_rtrl.errors import ConfigError

# The name of the pmapped device axis (every collective of the library reduces over it).
AXIS = "devices"


# --- collectives (call these only inside a function pmapped with `pmap`) ------------------
def psum(tree: Any) -> Any:
    """Σ over every device of every process."""
    return jax.lax.psum(tree, AXIS)


def pmean(tree: Any) -> Any:
    """Mean over every device of every process."""
    return jax.lax.pmean(tree, AXIS)


def device_index() -> jax.Array:
    """The global index of this device along `AXIS` (distinct on every device of every host)."""
    return jax.lax.axis_index(AXIS)


def device_rng(rng: jax.Array) -> jax.Array:
    """A key of its own for this device (dropout masks differ between the batch's shards)."""
    return jax.random.fold_in(rng, device_index())


def pmap(fn: Callable, in_axes: Any = 0) -> Callable:
    """`jax.pmap` of `fn` over all local devices with the library's axis name.

    `in_axes` as for `jax.pmap`: 0 for arguments with a leading local-device axis [n, ...],
    None for arguments passed unchanged to every device.
    """
    return jax.pmap(fn, axis_name=AXIS, in_axes=in_axes)


# --- topology -----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Topology:
    """Where this process sits: its index among the processes and its local devices."""
    process_index: int
    process_count: int
    local_devices: int

    @property
    def global_devices(self) -> int:
        return self.process_count * self.local_devices

    @property
    def is_chief(self) -> bool:
        return self.process_index == 0

    def describe(self) -> str:
        return (f"process {self.process_index} of {self.process_count}, "
                f"{self.local_devices} local device(s) of {jax.local_devices()[0].platform} "
                f"({self.global_devices} in all)")


def topology() -> Topology:
    return Topology(jax.process_index(), jax.process_count(), jax.local_device_count())


def initialize_distributed(coordinator_address: Optional[str] = None,
                           num_processes: Optional[int] = None,
                           process_id: Optional[int] = None, *, auto: bool = False) -> bool:
    """Starts `jax.distributed` when asked to; returns whether it did.

    Asked to by arguments (e.g. launcher flags), by the environment variables
    `JAX_COORDINATOR_ADDRESS`, `JAX_NUM_PROCESSES` and `JAX_PROCESS_ID`, or by `auto=True`
    (cluster auto-detection: SLURM, Open MPI, Cloud TPU, ...). Must run before any other
    JAX call touches the devices.
    """
    coordinator_address = coordinator_address or os.environ.get("JAX_COORDINATOR_ADDRESS")
    if num_processes is None and os.environ.get("JAX_NUM_PROCESSES"):
        num_processes = int(os.environ["JAX_NUM_PROCESSES"])
    if process_id is None and os.environ.get("JAX_PROCESS_ID"):
        process_id = int(os.environ["JAX_PROCESS_ID"])
    if not (auto or coordinator_address):
        if num_processes not in (None, 1) or process_id not in (None, 0):
            raise ConfigError(
                "num_processes / process_id were given without a coordinator address; pass "
                "--coordinator_address=HOST:PORT (or set JAX_COORDINATOR_ADDRESS), or "
                "--distributed to detect the cluster.")
        return False
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id)
    logging.info("jax.distributed initialised: process %d of %d.", jax.process_index(),
                 jax.process_count())
    return True


def check_divisible(batch_size: int, topo: Topology, key: str = "config.train.batch_size",
                    micro_batches: int = 1) -> int:
    """The per-device batch; a clear error when `batch_size` does not split evenly."""
    parts = topo.global_devices * micro_batches
    if batch_size <= 0 or batch_size % parts:
        what = (f"{topo.global_devices} device(s) ({topo.process_count} process(es) x "
                f"{topo.local_devices} local)")
        if micro_batches > 1:
            what += f" x {micro_batches} micro-batches (config.train.grad_accum_steps)"
        raise ConfigError(
            f"{key}={batch_size} must be a positive multiple of {parts}: the batch is split "
            f"evenly over {what}. Choose e.g. {key}={max(parts, batch_size - batch_size % parts)}.")
    return batch_size // topo.global_devices


# --- moving data --------------------------------------------------------------------------
def shard_batch(batch: Dict[str, np.ndarray], local_devices: int) -> Dict[str, np.ndarray]:
    """A host batch {k: [b, ...]} -> {k: [local_devices, b / local_devices, ...]}."""
    def split(x):
        x = np.asarray(x)
        if x.shape[0] % local_devices:
            raise ConfigError(
                f"A host batch of {x.shape[0]} rows cannot be split over {local_devices} local "
                "devices; config.train.batch_size (and train.eval_batch_size) must be a multiple "
                "of the total number of devices.")
        return x.reshape((local_devices, x.shape[0] // local_devices) + x.shape[1:])
    return {k: split(v) for k, v in batch.items()}


def replicate(tree: Any, local_devices: int) -> Any:
    """Host values -> [local_devices, ...] copies, one on each local device (the layout that
    pmap produces and consumes without copies)."""
    devices = jax.local_devices()[:local_devices]
    mesh = jax.sharding.Mesh(np.asarray(devices), (AXIS,))
    sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(AXIS))

    def put(x):
        x = np.asarray(x)
        return jax.device_put(np.broadcast_to(x[None], (local_devices,) + x.shape), sharding)
    return jax.tree_util.tree_map(put, tree)


def unreplicate(tree: Any) -> Any:
    """The first local copy of replicated values (or of step outputs that are equal on every
    device, such as metrics after a psum), as numpy arrays in host memory."""
    def first(x):
        if isinstance(x, jax.Array):
            return np.asarray(x.addressable_data(0))[0]
        return np.asarray(x)[0]
    return jax.tree_util.tree_map(first, tree)
