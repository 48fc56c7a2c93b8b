"""The rules layer: the architecture as data, the scaling rules, the published families, the
analytic cost model and the paper's printed numbers.

Plain Python and `math` only: nothing here imports torch, a plotting library or any other layer,
so a slider, a notebook cell or a test can cost B7 at 600 px without building a module.
Every other layer reads these tables; nothing here reads them back.
"""
