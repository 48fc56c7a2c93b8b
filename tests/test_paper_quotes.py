"""The paper's numbers the course quotes (effnet_lib.rules.paper), checked against what the paper says
elsewhere and against what the library computes. Each known gap is written down with its reason."""
import pytest

import effnet_lib as en
from effnet_lib.rules import paper
from effnet_lib.rules.families import EFFICIENTNET

OTHERS = {name: row for group in paper.TABLE_2_OTHERS.values() for name, row in group.items()}

# Figure 1's inset (arXiv v5) prints these top-1 and parameters beside the plot.
FIGURE_1_INSET = {"ResNet-152": (77.8, 60), "ResNeXt-101": (80.9, 84), "SENet": (82.7, 146),
                  "NASNet-A": (82.7, 89), "GPipe": (84.3, 556)}


def test_every_other_convnet_is_grouped_with_a_published_efficientnet():
    assert set(paper.TABLE_2_OTHERS) <= set(paper.TABLE_2)
    assert len(OTHERS) == 16


def test_figure_1_inset_agrees_with_table_2():
    for name, (top1, params) in FIGURE_1_INSET.items():
        assert (OTHERS[name].top1, OTHERS[name].parameters_millions) == (top1, params)


def test_the_texts_ratios_follow_from_the_table():
    # "B7 ... 8.4x smaller than GPipe"; "B3 ... higher accuracy than ResNeXt-101 using 18x fewer FLOPS".
    assert round(OTHERS["GPipe"].parameters_millions / paper.TABLE_2["b7"].parameters_millions, 1) == 8.4
    assert round(OTHERS["ResNeXt-101"].multiply_adds_billions / paper.TABLE_2["b3"].multiply_adds_billions) == 18
    assert paper.TABLE_2["b3"].top1 > OTHERS["ResNeXt-101"].top1
    # "B1 is 7.6x smaller than ResNet-152" (Figure 1's caption) is 7.7x by Table 2: paper.DISAGREEMENTS.


def test_largest_parameter_reduction_is_gpipes():
    # Table 2's caption: "up to 8.4x parameter reduction".
    ratios = [row.parameters_millions / paper.TABLE_2[key].parameters_millions
              for key, group in paper.TABLE_2_OTHERS.items() for row in group.values()]
    assert round(max(ratios), 1) == 8.4


def test_library_tables_reproduce_the_printed_resnets():
    resnet_50, resnet_152 = en.cost("resnet-50"), en.cost("resnet-152")
    assert round(resnet_50.parameters / 1e6) == OTHERS["ResNet-50"].parameters_millions
    assert round(resnet_50.multiply_adds / 1e9, 1) == OTHERS["ResNet-50"].multiply_adds_billions
    assert round(resnet_152.parameters / 1e6) == OTHERS["ResNet-152"].parameters_millions
    # Known gap: ResNet-152's 11.5B multiply-adds (torchvision's metadata says 11.51 GFLOPS) are printed 11B.
    assert resnet_152.multiply_adds / 1e9 == pytest.approx(OTHERS["ResNet-152"].multiply_adds_billions, rel=0.05)
    assert set(paper.LIBRARY_TABLES) <= set(OTHERS)


def test_v1_accuracies_are_the_ones_table_4_kept():
    assert paper.V1_TOP1["b1"] == paper.TABLE_4["b1"].top1 == 78.8
    assert paper.V1_TOP1["b7"] == paper.TABLE_4["b7"].top1 == 84.4
    for name, top1 in paper.V1_TOP1.items():
        assert top1 != paper.TABLE_2[name].top1      # v5 revised every one of them


def _disagreement(what: str) -> paper.Disagreement:
    return next(d for d in paper.DISAGREEMENTS if d.what == what)


def test_every_written_down_disagreement_is_one():
    for d in paper.DISAGREEMENTS:
        assert d.first_value != d.second_value, d.what
        assert d.first != d.second, d.what
    assert len({d.what for d in paper.DISAGREEMENTS}) == len(paper.DISAGREEMENTS)


def test_the_prose_quotes_other_numbers_than_the_tables_print():
    assert _disagreement("GPipe's parameters (millions)").second_value == OTHERS["GPipe"].parameters_millions
    assert _disagreement("SENet's parameters (millions)").second_value == OTHERS["SENet"].parameters_millions
    assert _disagreement("ResNet-50's top-1 (%)").second_value == OTHERS["ResNet-50"].top1
    assert _disagreement("B4's top-1 (%)").second_value == paper.TABLE_2["b4"].top1


def test_b1_is_7_7_times_smaller_than_resnet_152_by_table_2_not_7_6():
    # Figure 1's caption: "EfficientNet-B1 is 7.6x smaller ... than ResNet-152"; Table 2 prints 60M and 7.8M.
    d = _disagreement("B1's parameters against ResNet-152's (times fewer)")
    ratio = OTHERS["ResNet-152"].parameters_millions / paper.TABLE_2["b1"].parameters_millions
    assert (d.first_value, d.second_value) == (7.6, round(ratio, 1)) == (7.6, 7.7)


def test_table_2s_largest_flops_reduction_is_19_4x_not_16x():
    # Table 2's caption: "up to 16x FLOPS reduction"; its rows give PolyNet's 35B against B3's 1.8B.
    d = _disagreement("largest FLOPS reduction against a ConvNet of similar accuracy (times)")
    ratios = {name: row.multiply_adds_billions / paper.TABLE_2[key].multiply_adds_billions
              for key, group in paper.TABLE_2_OTHERS.items() for name, row in group.items()
              if row.multiply_adds_billions is not None}
    largest = max(ratios, key=ratios.get)
    assert largest == "PolyNet" and d.first_value == 16
    assert d.second_value == round(ratios[largest], 1) == 19.4


def test_table_7s_baseline_is_not_table_2s_b0():
    d = _disagreement("the baseline B0's top-1 (%)")
    assert (d.first_value, d.second_value) == (paper.TABLE_7["baseline"].top1, paper.TABLE_2["b0"].top1)


@pytest.mark.parametrize("row", paper.TABLE_5, ids=lambda r: f"{r.dataset}-{r.comparison}")
def test_table_5_parameters_are_the_networks_with_a_new_classifier(row):
    classes = paper.TABLE_5_CLASSES[row.dataset]
    ours = en.cost(row.ours, num_classes=classes).parameters / 1e6
    assert round(ours) == row.our_parameters_millions
    # The printed ratio is of the printed (rounded) counts: 85M / 4M is "21x", 556M / 64M "8.7x".
    printed_digits = 0 if row.printed_reduction >= 10 else 1
    assert round(row.other_parameters_millions / row.our_parameters_millions, printed_digits) == row.printed_reduction


def test_table_5_summary_matches_the_rows_quoted():
    assert max(r.printed_reduction for r in paper.TABLE_5) == paper.TABLE_5_SUMMARY["largest_reduction"]
    cifar_100 = {r.comparison: r for r in paper.TABLE_5 if r.dataset == "CIFAR-100"}
    assert cifar_100["reported"].our_top1 > cifar_100["reported"].other_top1      # state of the art there


def test_recipe_numbers_are_the_librarys():
    n = paper.RECIPE_NUMBERS
    assert n["base_lr"] * 4096 / n["base_batch"] == pytest.approx(n["lr"])
    assert 1 - n["survival"] == pytest.approx(en.B0.stochastic_depth)
    assert (n["dropout_b0"], n["dropout_b7"]) == (EFFICIENTNET["b0"].dropout, EFFICIENTNET["b7"].dropout)
    dropouts = [c.dropout for c in EFFICIENTNET.values()]
    assert dropouts == sorted(dropouts)
    sources = {item.source for item in paper.RECIPE}
    assert sources == {"paper", "reference code"}
    assert {i.setting for i in paper.RECIPE if i.source == "reference code"} >= {"length", "learning rate per batch"}


def test_figure_4_caption_counts():
    caption = paper.FIGURE_4_CAPTION
    assert en.B0.num_blocks + 2 == caption["first_layers"]            # 16 blocks, the stem and the head
    deeper = en.scale(en.B0, depth=caption["last_depth"], resolution=caption["last_resolution"])
    assert deeper.image_size == 291 != caption["last_pixels"]          # 224 x 1.3 = 291.2, not 299
    assert deeper.num_blocks + 2 == 34 != caption["last_layers"]       # 36 is 2 x 18, stem and head doubled


def test_every_grouped_convnet_costs_more_than_its_efficientnet():
    # What notebook 3's summary says of Figures 1 and 5.
    for key, group in paper.TABLE_2_OTHERS.items():
        for name, row in group.items():
            assert row.parameters_millions > paper.TABLE_2[key].parameters_millions, name
            assert row.multiply_adds_billions is None or row.multiply_adds_billions > paper.TABLE_2[key].multiply_adds_billions, name
            assert row.top1 <= paper.TABLE_2[key].top1 + 0.05, name        # and none is more accurate
