"""The learn layer: data sets, on-device batches, the training loop, the experiment engine
(every set of trained models the course shows is a `Study` run by one runner), latency on the
reader's device and transfer learning.

Imports the rules and model layers; never explain or face.
"""
