"""Tests of attention.pipeline: validated settings in, a deterministic trace of every step out."""

import dataclasses

import numpy as np
import pytest

from attention.core import scaled_dot_product_attention
from attention.pipeline import MASK_KINDS, MAX_CHARS, PAD, Settings, run

NOTEBOOK = Settings(seq_len=10)  # the notebook's 10 positions: 7 words + 3 [PAD]


def arrays_of(trace):  # Trace -> dict[str, ndarray | None], every array in the trace by name
    out = {name: getattr(trace, name) for name in ("is_pad", "x", "w_q", "w_k", "w_v", "w_o", "mask")}
    for f in dataclasses.fields(trace.attention):
        out[f"attention.{f.name}"] = getattr(trace.attention, f.name)
    return out


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("d_k", 0),
        ("d_k", 513),
        ("seq_len", 513),
        ("n_heads", 0),
        ("n_heads", 9),
        ("d_model", 0),
        ("seed", -1),
        ("window", 0),
        ("prefix", -1),
        ("embedding", "word2vec"),
        ("mask", "diagonal"),
        ("weight_init", "xavier"),
        ("temperature", 0),
        ("temperature", float("nan")),
        ("seq_len", True),
        ("seq_len", -1),
        ("d_k", False),
        ("seq_len", 2.5),
        ("d_k", "16"),
        ("temperature", "1"),
        ("sentence", "a " * (MAX_CHARS // 2) + "b"),
    ],
)
def test_settings_reject_bad_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        Settings(**{field: value})


def test_settings_are_frozen_and_replace_validates():
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.d_k = 4  # type: ignore[misc]
    assert s.replace(d_k=4).d_k == 4 and s.d_k == 16
    with pytest.raises(ValueError, match="d_k"):
        s.replace(d_k=0)


def test_settings_accept_numpy_integers_and_integer_temperatures():
    s = Settings(seq_len=np.int64(5), temperature=2)
    assert run(s).attention.weights.shape == (1, 5, 5)


def test_a_sentence_of_exactly_max_chars_is_accepted():
    assert len(Settings(sentence="a" * MAX_CHARS).sentence) == MAX_CHARS


def test_run_is_deterministic_for_a_seed_and_changes_with_it():
    a, b = run(Settings()), run(Settings())
    for name, array in arrays_of(a).items():
        other = arrays_of(b)[name]
        assert (array is None and other is None) or np.array_equal(array, other), name
    c = run(Settings(seed=1))
    assert not np.array_equal(a.x, c.x)
    assert not np.array_equal(a.w_q, c.w_q)
    assert not np.array_equal(a.attention.weights, c.attention.weights)


def test_by_default_the_sequence_follows_the_sentence():
    t = run(Settings())
    assert t.tokens == ("The", "weather", "is", "beautiful", "today", "in", "Melbourne")
    assert not t.is_pad.any() and t.n_dropped == 0 and t.attention.weights.shape == (1, 7, 7)
    assert Settings().length == 7 and Settings(sentence="a b").length == 2
    assert Settings(sentence=" ".join(["w"] * 600)).length == 512  # at most 512 positions
    assert run(Settings(sentence="a b", seq_len=5)).tokens == ("a", "b", PAD, PAD, PAD)


def test_the_notebooks_ten_positions_have_seven_words_and_three_masked_pads():
    t = run(NOTEBOOK)
    words = ["The", "weather", "is", "beautiful", "today", "in", "Melbourne"]
    assert t.tokens == (*words, PAD, PAD, PAD)
    assert t.is_pad.tolist() == [False] * 7 + [True] * 3
    assert t.n_words == 7 and t.n_dropped == 0
    assert t.x.shape == (10, 16) and np.all(t.x[7:] == 0)
    weights = t.attention.weights
    assert weights.shape == (1, 10, 10)
    assert np.all(weights[..., 7:] == 0.0)  # no query takes anything from a [PAD] key
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)
    assert t.w_o is None and np.array_equal(t.attention.output, t.attention.concat)


def test_a_short_seq_len_cuts_the_sentence_and_counts_the_dropped_words():
    t = run(Settings(seq_len=3))
    assert t.tokens == ("The", "weather", "is")
    assert not t.is_pad.any()
    assert t.n_words == 7 and t.n_dropped == 4
    assert t.attention.weights.shape == (1, 3, 3)


@pytest.mark.parametrize(
    "s",
    [
        Settings(),
        Settings(d_k=4, temperature=2.0),
        Settings(scaling=False, temperature=0.5),
        Settings(n_heads=3),
    ],
)
def test_scaled_is_the_scores_times_the_settings_scale_exactly(s):
    t = run(s)
    assert t.attention.scale == s.scale
    assert np.array_equal(t.attention.scaled, t.attention.scores * s.scale)


def test_scale_combines_sqrt_d_k_scaling_and_temperature():
    assert Settings(d_k=16).scale == 1 / 4
    assert Settings(d_k=4, temperature=2.0).scale == 1 / 4
    assert Settings(d_k=16, scaling=False).scale == 1.0
    assert Settings(d_k=16, scaling=False, temperature=0.5).scale == 2.0


def test_the_pipeline_is_single_head_attention_on_the_projections():
    t = run(Settings(mask="causal"))
    one = scaled_dot_product_attention(
        t.x @ t.w_q, t.x @ t.w_k, t.x @ t.w_v, mask=t.mask, scale=t.settings.scale
    )
    np.testing.assert_allclose(t.attention.weights[0], one.weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t.attention.output, one.output, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mask", MASK_KINDS)
def test_every_mask_kind_runs_and_masks_the_padding(mask):
    t = run(NOTEBOOK.replace(mask=mask))
    weights = t.attention.weights[0]
    allowed = np.ones((10, 10), bool) if t.mask is None else t.mask
    assert np.all(np.isfinite(weights))
    # A [PAD] query whose window holds only [PAD] keys sees nothing: its row is zeros, not NaN.
    np.testing.assert_allclose(weights.sum(axis=-1), allowed.any(axis=-1).astype(float), rtol=1e-12)
    assert allowed[:7].any(axis=-1).all()  # every real word sees at least itself
    if mask == "none":
        assert t.mask is None
    else:
        assert np.all(weights[:, 7:] == 0.0) and np.all(weights[~t.mask] == 0.0)


def test_editing_one_word_changes_only_its_row_and_column_of_the_scores():
    before = run(NOTEBOOK)
    after = run(NOTEBOOK.replace(sentence="The rain is beautiful today in Melbourne"))
    a, b = before.attention.scores[0], after.attention.scores[0]
    others = np.arange(10) != 1
    assert np.array_equal(a[np.ix_(others, others)], b[np.ix_(others, others)])
    words = np.arange(10) < 7  # a [PAD] row of X is zero, so its scores with anything stay 0
    assert np.all(a[1, words] != b[1, words]) and np.all(a[words & others, 1] != b[words & others, 1])
    assert np.array_equal(before.x[others], after.x[others])


@pytest.mark.parametrize("mask", ["padding", "none"])
def test_without_positions_a_repeated_word_gets_identical_rows(mask):
    t = run(Settings(sentence="the cat sat on the mat", mask=mask))
    scores, weights = t.attention.scores[0], t.attention.weights[0]
    assert np.array_equal(scores[0], scores[4])
    assert np.array_equal(weights[0], weights[4])
    assert not np.array_equal(weights[0], weights[1])


def test_with_positions_a_repeated_word_gets_different_rows():
    t = run(Settings(sentence="the cat sat on the mat", positions=True))
    assert not np.array_equal(t.attention.scores[0][0], t.attention.scores[0][4])
    assert not np.array_equal(t.attention.weights[0][0], t.attention.weights[0][4])


def test_permuting_the_words_permutes_the_weights():
    words = ["The", "weather", "is", "beautiful", "today", "in", "Melbourne"]
    perm = np.array([3, 0, 6, 1, 5, 2, 4])
    base = Settings(sentence=" ".join(words), seq_len=7, mask="none")
    t = run(base)
    tp = run(base.replace(sentence=" ".join(words[i] for i in perm)))
    p = np.eye(7)[perm]
    np.testing.assert_allclose(
        tp.attention.weights[0], p @ t.attention.weights[0] @ p.T, rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(tp.attention.output, p @ t.attention.output, rtol=1e-12, atol=1e-12)


def test_char_codes_embedding_is_as_wide_as_the_longest_word():
    t = run(NOTEBOOK.replace(embedding="char codes"))
    assert t.x.shape == (10, 9)  # "beautiful" and "Melbourne" have 9 letters
    assert t.x[0, :3].tolist() == [20, 8, 5] and np.all(t.x[0, 3:] == 0)
    assert t.w_q.shape == (9, 16)
    t = run(NOTEBOOK.replace(embedding="char codes", positions=True, n_heads=2))
    assert t.x.shape == (10, 9) and t.w_o.shape == (32, 9) and t.attention.output.shape == (10, 9)


def test_random_embedding_comes_from_the_seeded_generator():
    a, b = run(NOTEBOOK.replace(embedding="random")), run(NOTEBOOK.replace(embedding="random"))
    assert np.array_equal(a.x, b.x)
    assert np.all((a.x[:7] >= 0) & (a.x[:7] < 1)) and np.all(a.x[7:] == 0)
    assert not np.array_equal(a.x, run(Settings(embedding="random", seed=1)).x)


def test_n_heads_two_has_an_output_projection_and_one_head_has_none():
    t = run(Settings(n_heads=2, d_k=8))
    assert t.w_q.shape == (16, 16) and t.w_o.shape == (16, 16)
    assert t.attention.weights.shape == (2, 7, 7)
    np.testing.assert_allclose(t.attention.output, t.attention.concat @ t.w_o, rtol=1e-12)
    assert run(Settings(n_heads=1)).w_o is None


def test_uniform_weight_init_is_the_notebook_rand():
    t = run(Settings(weight_init="uniform"))
    assert np.all((t.w_q >= 0) & (t.w_q < 1))


@pytest.mark.parametrize("sentence", ["", "   ", "\n\t"])
def test_an_empty_sentence_raises(sentence):
    with pytest.raises(ValueError, match="empty"):
        run(Settings(sentence=sentence))


def test_char_codes_refuse_a_word_wider_than_d_model_allows():
    Settings(sentence="a" * 512, embedding="char codes")  # exactly the limit is fine
    with pytest.raises(ValueError, match="char codes"):
        Settings(sentence="short " + "a" * 513, embedding="char codes")
    Settings(sentence="a" * 513)  # other embeddings do not depend on word length


def test_what_the_page_reads_off_a_trace():
    t = run(Settings(sentence="a b c", seq_len=5, d_k=4, n_heads=3, d_model=12, mask="causal"))
    assert t.words == ("a", "b", "c") and t.n_pad == 2
    for h in range(3):  # head h's projection columns are the ones its q, k, v came from
        w_q, w_k, w_v = t.head_projections(h)
        assert w_q.shape == w_k.shape == w_v.shape == (12, 4)
        np.testing.assert_allclose(t.x @ w_q, t.attention.q[h], atol=1e-12)
        np.testing.assert_allclose(t.x @ w_v, t.attention.v[h], atol=1e-12)
    np.testing.assert_array_equal(t.allowed(), t.mask)
    assert run(Settings(mask="none")).allowed().all()


@pytest.mark.parametrize(("d_k", "tau", "scaling", "divisor"), [(16, 1.0, True, 4.0), (9, 2.0, True, 6.0)])
def test_the_divisor_is_tau_times_root_dk_or_tau_alone(d_k, tau, scaling, divisor):
    s = Settings(d_k=d_k, temperature=tau, scaling=scaling)
    assert s.divisor == pytest.approx(divisor) and s.scale == pytest.approx(1 / divisor)
    assert s.replace(scaling=False).divisor == tau


def test_root_d_k_is_the_square_root_whatever_the_scaling():
    assert Settings(d_k=256).root_d_k == 16.0 and Settings(d_k=256, scaling=False).root_d_k == 16.0
