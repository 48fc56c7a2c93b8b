"""The face layer: what a reader sees. The phi explorer widget, one function per paper figure,
and the printed report of Table 2.

Imports the rules layer and plain result records; it builds a model only when asked to.
"""
