"""Print the course's comparison tables from the command line: `python -m effnet_lib.face.report table2`."""
from __future__ import annotations

import argparse

from ..rules.cost import cost
from ..rules.families import EFFICIENTNET, network
from ..rules.paper import TABLE_2, VERSION


def table2_rows() -> list[dict]:
    """Table 2 side by side: the library's analytic counts against the paper's printed figures."""
    rows = []
    for name in EFFICIENTNET:
        ours, printed = cost(name), TABLE_2[name]
        rows.append(dict(model=name, image_size=network(name).image_size, parameters=ours.parameters,
                         paper_parameters_millions=printed.parameters_millions,
                         multiply_adds=ours.multiply_adds, paper_flops_billions=printed.multiply_adds_billions,
                         flops_difference=ours.multiply_adds / 1e9 / printed.multiply_adds_billions - 1))
    return rows


def format_table2() -> str:
    lines = [f"Table 2, {VERSION}: library (analytic) vs paper (printed)",
             "| model | px | parameters | paper | multiply-adds | paper | difference |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in table2_rows():
        lines.append(f"| {r['model']} | {r['image_size']} | {r['parameters']:,} | {r['paper_parameters_millions']:g}M "
                     f"| {r['multiply_adds'] / 1e9:.3f}B | {r['paper_flops_billions']:g}B "
                     f"| {r['flops_difference']:+.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("table", choices=["table2"], help="which comparison to print")
    parser.parse_args(argv)
    print(format_table2())


if __name__ == "__main__":
    main()
