"""Tests of attention.notebook: the notebook's printed numbers, reproduced, and its two bugs, fixed."""

from fractions import Fraction

import numpy as np
import pytest

from attention import char_embeddings, length_weights, tokenize, walkthrough, weighted_sum

SENTENCE = "The weather is beautiful today in Melbourne"
PRINTED_EMBEDDINGS = {  # the notebook's "Word embeddings:" output
    "The": [20, 8, 5],
    "weather": [23, 5, 1, 20, 8, 5, 18],
    "is": [9, 19],
    "beautiful": [2, 5, 1, 21, 20, 9, 6, 21, 12],
    "today": [20, 15, 4, 1, 25],
    "in": [9, 14],
    "Melbourne": [13, 5, 12, 2, 15, 21, 18, 14, 5],
}
PRINTED_WEIGHTS = [0.081, 0.189, 0.054, 0.243, 0.135, 0.054, 0.243]
PRINTED_FINAL_VECTOR = [13.297297297297298, 7.837837837837839]
PRINTED_PROCESSED_OUTPUT = 21.135135135135137


def exact_weighted_sum(tokens):  # list[str] -> list[Fraction], the whole computation in exact arithmetic
    total = sum(len(t) for t in tokens)
    width = max(len(t) for t in tokens)
    out = [Fraction(0)] * width
    for t in tokens:
        for c, ch in enumerate(t.lower()):
            out[c] += Fraction(len(t), total) * (ord(ch) - 96)
    return out


def test_tokenize_splits_on_whitespace():
    assert tokenize(SENTENCE) == list(PRINTED_EMBEDDINGS)
    assert tokenize("  a\tb\n c  ") == ["a", "b", "c"]
    assert tokenize("") == []


def test_char_embeddings_reproduce_the_notebook_print_for_each_word():
    tokens = tokenize(SENTENCE)
    e = char_embeddings(tokens)
    assert e.shape == (7, 9)
    for row, token in enumerate(tokens):
        printed = PRINTED_EMBEDDINGS[token]
        assert e[row, : len(printed)].tolist() == printed
        assert np.all(e[row, len(printed) :] == 0)  # zero padding on the right


def test_char_embeddings_lowercase_and_pad_to_the_longest():
    e = char_embeddings(["Ab", "c", "ABCD"])
    assert e.tolist() == [[1, 2, 0, 0], [3, 0, 0, 0], [1, 2, 3, 4]]


def test_char_embeddings_widen_when_lowercasing_adds_characters():
    e = char_embeddings(["İ", "a"])  # "İ".lower() is "i" plus a combining dot
    assert e.shape == (2, 2)
    assert e[0, 0] == ord("i") - 96 and e[1].tolist() == [1, 0]


def test_length_weights_reproduce_the_notebook_print():
    w = length_weights(tokenize(SENTENCE))
    assert [round(x, 3) for x in w] == PRINTED_WEIGHTS
    assert w.sum() == pytest.approx(1.0, abs=1e-15)


def test_repeated_words_keep_their_own_weight():
    w = length_weights(["the", "cat", "the", "mouse"])
    np.testing.assert_allclose(w, [3 / 14, 3 / 14, 3 / 14, 5 / 14])
    assert w.sum() == pytest.approx(1.0)
    # The notebook keyed by word, so a repeated word counted once and the weights summed to < 1.
    notebook = {t: len(t) / 14 for t in ["the", "cat", "the", "mouse"]}
    assert sum(notebook.values()) < 1.0


def test_weighted_sum_keeps_the_notebook_first_two_entries():
    tokens = tokenize(SENTENCE)
    s = weighted_sum(char_embeddings(tokens), length_weights(tokens))
    np.testing.assert_allclose(s[:2], PRINTED_FINAL_VECTOR, rtol=0, atol=1e-12)
    # The notebook summed only those two (zip stops at the shortest word).
    assert s[:2].sum() == pytest.approx(PRINTED_PROCESSED_OUTPUT, abs=1e-12)


def test_weighted_sum_has_the_full_width_and_the_exact_total():
    tokens = tokenize(SENTENCE)
    s = weighted_sum(char_embeddings(tokens), length_weights(tokens))
    exact = exact_weighted_sum(tokens)
    assert s.shape == (9,)
    assert sum(exact) == Fraction(2904, 37)
    np.testing.assert_allclose(s, [float(x) for x in exact], rtol=0, atol=1e-12)
    assert s.sum() == pytest.approx(float(Fraction(2904, 37)), abs=1e-12)


def test_weighted_sum_equals_the_loop():
    rng = np.random.default_rng(0)
    e, w = rng.normal(size=(5, 3)), rng.random(5)
    loop = [sum(w[i] * e[i, c] for i in range(5)) for c in range(3)]
    np.testing.assert_allclose(weighted_sum(e, w), loop, rtol=1e-13)


def test_empty_token_lists_and_mismatched_shapes_raise():
    with pytest.raises(ValueError, match="empty"):
        char_embeddings([])
    with pytest.raises(ValueError, match="empty"):
        length_weights([])
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(4,\)"):
        weighted_sum(np.ones((3, 2)), np.ones(4))


def test_the_notebooks_own_cut_vector_is_reproduced():
    from attention.notebook import notebook_final_vector

    cut = notebook_final_vector(tokenize("The weather is beautiful today in Melbourne"))
    np.testing.assert_allclose(cut, [13.297297297297298, 7.837837837837839], rtol=1e-14)
    assert cut.sum() == pytest.approx(21.135135135135137, rel=1e-14)
    # a repeated word counted once, as the notebook's dicts did, against the full per-position sum
    tokens = tokenize("ab ab c")
    np.testing.assert_allclose(notebook_final_vector(tokens), [2 / 5 * 1 + 1 / 5 * 3])
    assert weighted_sum(char_embeddings(tokens), length_weights(tokens))[0] == pytest.approx(
        4 / 5 * 1 + 1 / 5 * 3
    )


def test_the_walkthrough_gathers_every_number_the_tab_shows():
    w = walkthrough("The weather is beautiful today in Melbourne")
    assert w.tokens == tokenize("The weather is beautiful today in Melbourne")
    np.testing.assert_array_equal(w.codes, char_embeddings(w.tokens))
    np.testing.assert_allclose(w.vector, weighted_sum(w.codes, length_weights(w.tokens)))
    assert w.total == pytest.approx(2904 / 37, rel=1e-14) and w.weights_sum == pytest.approx(1, abs=1e-15)
    np.testing.assert_allclose(w.notebook_vector, [13.2972972972973, 7.837837837837838], rtol=1e-12)
    assert w.notebook_total == pytest.approx(sum(w.notebook_vector))
