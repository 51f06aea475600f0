"""The d_k animation's frames are the pipeline's own weights at each d_k, scaled and unscaled."""

import numpy as np

from attention import Settings, run
from attention.animate import D_KS, dk_frames
from attention.scaling import row_entropy


def test_each_frame_is_the_pipelines_weights_at_that_d_k():
    s = Settings(sentence="the cat sat on the mat", n_heads=2, d_model=16, mask="causal")
    frames = dk_frames(s, head=1, d_ks=(1, 8, 64))
    assert frames.scaled.shape == frames.unscaled.shape == (3, 6, 6) and frames.d_ks == (1, 8, 64)
    for k, d in enumerate((1, 8, 64)):
        np.testing.assert_array_equal(frames.scaled[k], run(s.replace(d_k=d)).attention.weights[1])
        off = run(s.replace(d_k=d, scaling=False)).attention.weights[1]
        np.testing.assert_array_equal(frames.unscaled[k], off)
    np.testing.assert_array_equal(frames.mask, run(s).mask)


def test_without_scaling_rows_sharpen_as_d_k_grows_and_with_it_they_do_not():
    frames = dk_frames(Settings(sentence="a b c d e f g h i j k l"))
    assert frames.d_ks == D_KS and D_KS[0] == 1 and D_KS[-1] == 512
    unscaled = row_entropy(frames.unscaled).mean(axis=1)
    scaled = row_entropy(frames.scaled).mean(axis=1)
    assert unscaled[-1] < 0.5 * unscaled[0]  # nearly one key per row at d_k = 512
    assert scaled[-1] > 0.5 * scaled[0]
    assert unscaled[-1] < scaled[-1]
