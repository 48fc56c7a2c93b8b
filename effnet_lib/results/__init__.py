"""The results layer: where the course's data lives, the record of a trained run, and the analysis over seeds.

Plain Python (no torch, no numpy), so the face layer and a CPU-only reader can use stored results
without loading anything of training.
"""
