"""Shared test settings: deterministic, single-threaded-friendly torch on a 2-core CPU."""
import os

import pytest

os.environ.setdefault("EFFNET_SMOKE", "1")


@pytest.fixture(autouse=True)
def _seed():
    import torch
    torch.manual_seed(0)
