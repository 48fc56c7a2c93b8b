"""More pixels show a network finer patterns (Section 3.2's intuition, second half), measured by
explain.detail on a network whose right answer is known, and on the pretrained Lite0 and Lite2."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from effnet_lib.explain import detail  # noqa: E402
from effnet_lib.face import lessons  # noqa: E402


class BlurAndEdges(nn.Module):
    """One stage of two hand-set, rectified channels: channel 0 a wide blur (it sees the same at any size),
    channel 1 a 3x3 Laplacian (it answers the finest detail the pixels hold, which the size decides)."""

    def __init__(self):
        super().__init__()
        conv = nn.Conv2d(1, 2, 9, padding=4, bias=False)
        with torch.no_grad():
            conv.weight.zero_()
            conv.weight[0, 0] = 1 / 81
            conv.weight[1, 0, 3:6, 3:6] = torch.tensor([[0.0, -1, 0], [-1, 4, -1], [0, -1, 0]])
        self.stages = nn.ModuleList([nn.Sequential(conv, nn.ReLU())])

    def forward(self, x):
        return self.stages[0](x)


def photo():
    """A large, smooth blob, and in one corner a checkerboard of 4 px squares: at 128 px each square is one
    pixel, at 64 px two squares share a pixel and the checkerboard averages away to grey."""
    grid = torch.linspace(-1, 1, 512)
    blob = torch.exp(-(grid[:, None] ** 2 + grid[None, :] ** 2) * 3)
    squares = ((torch.arange(512)[:, None] // 4 + torch.arange(512)[None, :] // 4) % 2).float() - 0.5
    corner = torch.zeros(512, 512)
    corner[32:224, 32:224] = 1
    return blob + 0.5 * squares * corner


def prepare(image, size):
    return F.interpolate(image[None, None], size=(size, size), mode="area")


def test_a_blur_sees_the_same_at_both_sizes_and_an_edge_filter_sees_new_detail():
    views = detail.compare_resolutions(BlurAndEdges(), photo(), prepare, stage=0, low=64, high=128)
    assert views.low_maps.shape == (2, 64, 64) and views.high_maps.shape == (2, 128, 128)
    blur, edges = views.r.tolist()
    assert blur > 0.95 and edges < detail.NEW_DETAIL_BELOW
    assert views.new_detail.tolist() == [1] and views.newest == 1


def test_inputs_are_checked_in_words():
    with pytest.raises(ValueError, match="larger than low"):
        detail.compare_resolutions(BlurAndEdges(), photo(), prepare, stage=0, low=128, high=64)
    with pytest.raises(ValueError, match="stage must be 0..0"):
        detail.stage_output(BlurAndEdges(), prepare(photo(), 32), stage=3)
    with pytest.raises(TypeError, match="no `stages`"):
        detail.stage_output(nn.Identity(), prepare(photo(), 32), stage=0)


def test_the_figure_draws_both_views_and_counts_the_new_channels():
    views = detail.compare_resolutions(BlurAndEdges(), photo(), prepare, stage=0, low=64, high=128)
    photos = {size: prepare(photo(), size)[0, 0, :, :, None].expand(-1, -1, 3).clamp(0, 1).numpy() for size in (64, 128)}
    fig = lessons.finer_patterns(photos, {"toy": views}, {"toy": {64: 9, 128: 9}}, detail.NEW_DETAIL_BELOW, "stage 1")
    titles = [ax.get_title() for ax in fig.axes]
    assert "toy: 1 of 2 channels see something new (red)" in titles
    assert any("9 px = 0.14 of the side" in t for t in titles) and any("9 px = 0.07 of the side" in t for t in titles)
    plt.close(fig)
    with pytest.raises(ValueError, match="need a photo"):
        lessons.finer_patterns({64: photos[64]}, {"toy": views}, {"toy": {64: 9, 128: 9}}, 0.5, "stage 1")


@pytest.mark.slow
def test_lite2_has_more_channels_that_see_new_detail_at_twice_the_pixels_than_lite0():
    # What notebook 4 shows on scikit-image's cat: at Table 1's stage 4, the wider Lite2 has more channels
    # whose map at twice its size the map at its own size does not predict.
    pytest.importorskip("skimage")
    from skimage import data as photos

    from effnet_lib.model.weights import lite_pretrained, lite_preprocess

    counts = {}
    for name in ("lite0", "lite2"):
        try:
            model = lite_pretrained(name).model
        except ImportError as error:
            pytest.skip(str(error))
        size = model.spec.image_size
        views = detail.compare_resolutions(model, photos.chelsea(), lite_preprocess, stage=2, low=size, high=2 * size)
        counts[name] = (len(views.new_detail), views.channels)
    assert counts["lite0"][1] < counts["lite2"][1]                    # Lite2 is wider at this stage
    assert 0 < counts["lite0"][0] < counts["lite2"][0]
