"""The course's closed word lists, each defined once: every other module imports them from here.

A list that is closed (the ways of scaling, the roles a trained run can have, the data sets, the sizes
of a study) is a contract between the layers: a second copy elsewhere is a fork waiting to drift.

    >>> SCALINGS
    ('depth', 'width', 'resolution', 'compound')
"""
from __future__ import annotations

#: The three dimensions of Eq. 2, in the paper's order, each scaled alone (Figure 3).
SINGLE_DIMENSIONS = ("depth", "width", "resolution")
#: The ways of scaling a base that the course compares: one dimension alone, or all three by Eq. 3.
SCALINGS = (*SINGLE_DIMENSIONS, "compound")
#: Every strategy a trained run can belong to: the base, the four scalings, and Figure 4's grid.
STRATEGIES = ("baseline", *SCALINGS, "grid")
#: The sizes of a study: seconds on generated data, a shared CPU, one GPU.
PRESETS = ("smoke", "cpu", "gpu")
#: The data sets the course trains on, with their number of classes ("tiny" is generated, for tests).
DATASET_CLASSES = {"fashion-mnist": 10, "cifar10": 10, "tiny": 4}
DATASETS = tuple(DATASET_CLASSES)
