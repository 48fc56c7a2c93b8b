"""Shared test settings: deterministic, single-threaded-friendly torch on a 2-core CPU, and the test tiers.

The tiers (README, "Tests"): a test that starts a Jupyter kernel, trains a network, executes a notebook or
drives the browser carries a marker saying so, so that `make test-fast` can leave those out. A whole file
of such tests is marked here, by its name, rather than test by test; a single slow test elsewhere carries
its own marker.
"""
import os

import pytest

os.environ.setdefault("EFFNET_SMOKE", "1")

# Files whose every test belongs to a tier, by what they do.
TIERS = {
    "kernel": ("test_grading.py", "test_grading_batch.py", "test_grading_proof.py", "test_grading_sandbox.py",
               "test_exercises.py"),
    "training": ("test_experiments.py", "test_train.py", "test_transfer.py", "test_gpu_window.py",
                 "test_cpu_train_loop.py", "test_throughput.py"),
    "notebook": ("test_notebooks.py",),
    "browser": ("test_browser.py",),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, files in TIERS.items():
            if item.path.name in files:
                item.add_marker(marker)


@pytest.fixture(autouse=True)
def _seed():
    import torch
    torch.manual_seed(0)
