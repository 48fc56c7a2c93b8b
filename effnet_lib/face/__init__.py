"""The face layer: what a reader sees.

    explorer      the phi explorer widget (Eq. 3 and Table 2, live), wiring the four modules below
    phi_state     its numbers: B0 scaled by Eq. 3 at one setting, and the cost along phi
    phi_budget    its budget mode: the largest phi whose network fits a FLOPS budget
    phi_tables    its tables, as HTML
    phi_plot      its picture: a still PNG background and what moves as SVG
    objective     a widget for the search objective of Section 4
    static        a static picture for every widget and progress bar, shown where no kernel runs
    plots         figures of the architecture and its costs (Figures 2 and 3's cost side, Table 1)
    lessons       figures of the paper's reasoning (receptive field, Figures 1 and 5, the objective)
    study_plots   Figures 3, 4 and 8 from a study's records, with the seed spread and what they show
    cam_figures   Figure 7, Table 7 recounted, the object-mass bars
    style         one colour and symbol per scaling strategy, plain log-axis labels
    drawing       panels to draw into, data checked for the keys a figure reads, labels placed clear of markers
    report        Table 2 printed from the command line
    course        notebook 0's map: each notebook's title, exercises and worked answers, read from the notebooks
    run_times     each notebook's CPU time, idle and busy, from the benchmark's file
    setup_check   notebook 0's check of the reader's packages, one line per group

Imports the rules layer, the model and explain layers when a figure needs a model, and plain result
records (never the learn layer): it builds a model only when asked to.
"""
