"""What a measurement was made on: one record for every result the course stores.

A training run, a latency, a throughput table: each number means something only beside the machine,
the device and the software that produced it. :func:`hardware` is that record (plain JSON), and
:func:`describe` the one-line label a figure or a table prints from it.

    >>> record = hardware("cpu")
    >>> record["device"], sorted(k for k in record if k in ("cpu", "torch", "library_version"))
    ('cpu', ['cpu', 'library_version', 'torch'])
"""
from __future__ import annotations

import os
import platform
import re
import torch

from ..results.locations import checkout

__all__ = ["default_device", "hardware", "describe", "library_version"]

def library_version() -> str:
    """effnet_lib's version: the installed package's, else the one pyproject.toml declares.

    A checkout copied to a machine without installing it (a GPU box) still names its version, so
    results made there are comparable with results made here.
    """
    from .. import __version__

    if __version__ != "unknown":
        return __version__
    source = checkout()
    try:
        match = re.search(r'^version\s*=\s*"([^"]+)"', (source / "pyproject.toml").read_text(), re.MULTILINE) \
            if source is not None else None
    except OSError:
        match = None
    return match.group(1) if match else "unknown"


def _processor() -> str:
    try:  # Linux names the CPU model here; elsewhere platform's answer has to do
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def default_device() -> str:
    """Where the course trains when nobody says: the GPU when there is one, else the CPU."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def hardware(device: torch.device | str | None = None) -> dict:
    """The device, the machine and the software versions, as one JSON-ready dict.

    On a CPU it also notes the torch threads and the load average when it was asked (a shared
    machine runs slower under load; the timings beside this record should be read with it).
    """
    device = torch.device(device or default_device())
    record = {"device": device.type, "cpu": _processor(), "cpu_count": os.cpu_count(),
              "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
              "python": platform.python_version(), "platform": platform.platform(),
              "library_version": library_version()}
    if device.type == "cuda":
        record.update(gpu=torch.cuda.get_device_name(device), cuda=torch.version.cuda)
    if hasattr(os, "getloadavg"):
        record["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return record


def describe(record: dict) -> str:
    """A short label for a :func:`hardware` record: the GPU's name, or the CPU with its threads.

    >>> describe({"device": "cuda", "gpu": "NVIDIA H100 80GB HBM3"})
    'NVIDIA H100 80GB HBM3'
    >>> describe({"device": "cpu", "cpu": "AMD EPYC 7B13", "cpu_count": 2, "torch_threads": 1})
    'AMD EPYC 7B13 (2 cores, 1 torch thread)'
    """
    if record.get("gpu"):
        return record["gpu"]
    threads = record.get("torch_threads")
    return (f"{record.get('cpu', 'CPU')} ({record.get('cpu_count', '?')} cores, "
            f"{threads} torch thread{'s' * (threads != 1)})")
