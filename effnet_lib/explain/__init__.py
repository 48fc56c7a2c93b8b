"""The explain layer: class activation maps through the `grad-cam` package, and measures of
where a map's mass falls.

Imports the model layer (and the rules it needs); never learn or face, so explaining a model
does not depend on how it was trained.
"""
