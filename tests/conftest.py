"""Test-wide set-up. Runs before JAX is imported by any test module.

Four fake CPU devices let multi-device tests (pmap) run on a CPU-only machine; every other
test uses the first device as usual.

Compiled functions are shared between tests, and with the launcher processes they start,
through JAX's persistent compilation cache: a computation that several tests build (the same
tiny model, the same step) compiles once. It lives in the checkout, `.jax_cache/` (not
tracked): a clean checkout starts with it empty, later runs of the suite reuse it (the inner
loop gets much faster). `LRU_RTRL_JAX_CACHE=` (empty) turns it off, `LRU_RTRL_JAX_CACHE=DIR`
moves it.
"""

import os

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CACHE = os.environ.get("LRU_RTRL_JAX_CACHE", os.path.join(_REPO, ".jax_cache"))
if _CACHE:
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", _CACHE)
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
# TensorFlow (pulled in by tensorflow-datasets and CLU) must not grab the GPU or spam logs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

# pylint: disable=wrong-import-position
import importlib.util  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from lru_rtrl.data import testing_files  # noqa: E402  (numpy only: JAX is not started here)
from repo_helpers import repo_path  # noqa: E402
# The built-in cores, rules, engines and tasks, for tests that look them up by name (the
# registry itself never imports them).
from lru_rtrl import plugins  # noqa: E402

plugins.load_builtins()


# Tiny files in each real external format, written once per session by
# lru_rtrl.data.testing_files and read back through the real loaders (data tests and the
# launcher's every-task test share them); nothing is downloaded.



@pytest.fixture(scope="session")
def tfds_dir(tmp_path_factory):
    """A tensorflow-datasets data_dir with prepared mnist, cifar10 and imdb_reviews."""
    data_dir = str(tmp_path_factory.mktemp("tfds"))
    testing_files.write_tfds_prepared("mnist", data_dir, {
        "train": testing_files.random_images(40, (28, 28, 1), 10, seed=1),
        "test": testing_files.random_images(12, (28, 28, 1), 10, seed=2)})
    testing_files.write_tfds_prepared("cifar10", data_dir, {
        "train": testing_files.random_images(200, (32, 32, 3), 10, seed=3),
        "test": testing_files.random_images(10, (32, 32, 3), 10, seed=4)})
    testing_files.write_tfds_prepared("imdb_reviews", data_dir, {
        "train": testing_files.random_reviews(30, seed=5, max_len=200),
        "test": testing_files.random_reviews(10, seed=6, max_len=200)})
    return data_dir


@pytest.fixture(scope="session")
def lra_dir(tmp_path_factory):
    """A folder holding lra_release/ with ListOps, AAN and Pathfinder-32 / Path-X files."""
    root = tmp_path_factory.mktemp("lra")
    release = root / "lra_release"
    testing_files.write_listops(str(release / "listops-1000"),
                                {"train": 24, "validation": 6, "test": 6})
    testing_files.write_aan(str(release / "tsv_data"))
    testing_files.write_pathfinder(str(release), resolution=32, difficulty="hard",
                                   num_files=3, per_file=8)
    testing_files.write_pathfinder(str(release), resolution=128, difficulty="hard",
                                   num_files=1, per_file=6)
    return str(root)


@pytest.fixture(scope="session")
def mnist_idx(tmp_path_factory):
    """(directory, arrays written): MNIST IDX .gz files with 30 train and 10 test images."""
    directory = str(tmp_path_factory.mktemp("mnist_idx"))
    return directory, testing_files.write_mnist_idx(directory, num_train=30, num_test=10, seed=7)


@pytest.fixture(scope="session")
def mnist_idx_dir(mnist_idx):
    return mnist_idx[0]


@pytest.fixture(scope="session")
def launcher():
    """launch/main.py as a module, loaded once per process (it defines absl flags, which may
    be defined only once)."""
    name = "lru_rtrl_launch_main"
    if name not in sys.modules:
        path = repo_path("launch", "main.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]
