"""Test-wide set-up. Runs before JAX is imported by any test module.

Four fake CPU devices let multi-device tests (pmap) run on a CPU-only machine; every other
test uses the first device as usual.
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
# TensorFlow (pulled in by tensorflow-datasets and CLU) must not grab the GPU or spam logs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
