"""The face layer: what a reader sees.

    explorer      the phi explorer widget (Eq. 3 and Table 2, live)
    objective     a widget for the search objective of Section 4
    static        a static picture for every widget and progress bar, shown where no kernel runs
    plots         figures of the architecture and its costs (Figures 2 and 3's cost side, Table 1)
    lessons       figures of the paper's reasoning (receptive field, Figures 1 and 5, the objective)
    study_plots   Figures 3, 4 and 8 from a study's records, with the seed spread and what they show
    cam_figures   Figure 7, Table 7 recounted, the object-mass bars
    style         one colour and symbol per scaling strategy, plain log-axis labels
    report        Table 2 printed from the command line

Imports the rules layer, the model and explain layers when a figure needs a model, and plain result
records (never the learn layer): it builds a model only when asked to.
"""
