"""The explain layer: where a trained network looks.

    maps    class activation maps through the `grad-cam` package, with the input checked first
    focus   how much of a map falls on the object (the paper's "more relevant regions", counted)
    cam     the Table 7 models the experiment engine kept, as the explain layer sees them
    detail  what one stage of a network sees at twice the pixels, channel by channel (Section 3.2's finer patterns)

Imports the model layer (and the rules it needs); never learn or face, so explaining a model
does not depend on how it was trained. The figures are in `face.cam_figures`.
"""
