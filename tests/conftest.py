import importlib.util
import os

import pytest
from hypothesis import HealthCheck, settings

import gpu
from gpu.kernels import retain_freed_memory

retain_freed_memory()  # as the CLI does: the trainers' arrays reuse freed memory

settings.register_profile(
    "ci", deadline=None, derandomize=True, max_examples=20, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

HAVE_JAX = importlib.util.find_spec("jax") is not None
BACKENDS = ["numpy", "array_api_strict"] + (["jax"] if HAVE_JAX else []) + (["cupy"] if gpu.cupy_status()[0] else [])


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Each usable backend: numpy and array_api_strict always, jax where installed (the test extra
    installs it), cupy where a GPU is usable."""
    return gpu.resolve(request.param)


@pytest.fixture
def xp(backend):
    return backend.xp
