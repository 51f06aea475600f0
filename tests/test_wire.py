"""The chart payload: a figure survives the trip exactly (at float32), compactly, labels untouched."""

import html
import json
import struct
import zlib
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from charts import figures, planes, wire
from charts.grids import heatmap_row
from charts.weights import SHAPES_LIMIT, weights_map

HOSTILE = ["<b>x</b>", "<img src=x onerror=alert(1)>", '<a href="http://e.com">l</a>', "é \" ' \\ ` \u2028"]


def heatmap(z, tokens, title="map", **extra):
    """A figure shaped like the page's heatmaps (template "none", as the figure layer sets it)."""
    cats = [f"#{i} {html.escape(t, quote=False)}" for i, t in enumerate(tokens)]
    trace = go.Heatmap(z=z, x=cats, y=cats, hovertemplate="%{y} %{x} %{z}", **extra)
    return go.Figure(
        trace, layout={"template": "none", "title": {"text": title}, "yaxis": {"autorange": "reversed"}}
    )


def tokens(n):
    return [f"w{i}" for i in range(n)]


def test_round_trip_is_exact_at_float32():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(20, 20))
    fig = wire.unpack(wire.pack(heatmap(z, tokens(20))))
    assert fig["data"][0]["z"].dtype == np.float32
    np.testing.assert_array_equal(fig["data"][0]["z"], z.astype(np.float32))
    assert fig["data"][0]["x"] == [f"#{i} w{i}" for i in range(20)]
    assert fig["layout"]["title"] == {"text": "map"}


def test_nan_cells_stay_nan():
    z = np.arange(25.0).reshape(5, 5)
    z[np.triu_indices(5, 1)] = np.nan
    fig = wire.unpack(wire.pack(heatmap(z, tokens(5))))
    got = fig["data"][0]["z"]
    assert np.array_equal(np.isnan(got), np.isnan(z))
    assert np.array_equal(got[~np.isnan(got)], z[~np.isnan(z)].astype(np.float32))


def test_masks_travel_as_uint8_and_ints_as_int32():
    mask = np.tril(np.ones((6, 6), dtype=bool))
    index = np.arange(30, dtype=np.int64).reshape(10, 3)
    fig = {"data": [{"type": "heatmap", "z": mask, "customdata": index}], "layout": {}}
    payload = wire.pack(fig)
    back = wire.unpack(payload)
    assert back["data"][0]["z"].dtype == np.uint8
    np.testing.assert_array_equal(back["data"][0]["z"], mask.astype(np.uint8))
    assert back["data"][0]["customdata"].dtype == np.int32
    np.testing.assert_array_equal(back["data"][0]["customdata"], index)


def test_arrays_start_on_four_byte_boundaries():
    masks = [{"type": "heatmap", "z": np.ones((3, 3), dtype=bool), "xaxis": f"x{k + 2}"} for k in range(3)]
    fig = {"data": [*masks, {"type": "heatmap", "z": np.ones((4, 4))}], "layout": {}}
    payload = wire.pack(fig)
    assert wire.body_start(payload) % 4 == 0
    refs = [t["z"] for t in wire.header(payload)["spec"]["data"]]
    assert [r["offset"] for r in refs] == [0, 12, 24, 36]  # 9 bytes of uint8, padded to 12
    assert np.all(wire.unpack(payload)["data"][3]["z"] == 1)


def test_the_header_travels_compressed_and_the_cells_as_they_are():
    z = np.arange(49, dtype=np.float32).reshape(7, 7)
    payload = wire.pack(heatmap(z, tokens(7)), {"displaylogo": False}, "scores", "page")
    (n,) = struct.unpack_from("<I", payload)
    text = zlib.decompress(payload[4 : 4 + n])
    assert json.loads(text) == wire.header(payload) and wire.header(payload)["version"] == wire.VERSION == 4
    assert n < 0.75 * len(text)  # a map's header repeats itself
    start = wire.body_start(payload)
    assert start % 4 == 0 and 4 + n <= start < 4 + n + 4 and set(payload[4 + n : start]) <= {0}
    np.testing.assert_array_equal(np.frombuffer(payload[start:], np.float32), z.ravel())


def softmax_rows(n, seed=1):  # -> [n, n] float32 rows that sum to 1, the upper triangle masked (NaN)
    z = np.random.default_rng(seed).normal(size=(n, n)).astype(np.float32)
    w = np.exp(z - z.max(axis=1, keepdims=True))
    w = (w / w.sum(axis=1, keepdims=True)).astype(np.float32)
    return np.where(np.tri(n, dtype=bool), w, np.float32(np.nan))


def test_a_mid_sized_body_travels_compressed_in_four_planes_and_comes_back_bit_exact():
    z = softmax_rows(128)
    z[3, 0], z[4, 0] = -0.0, np.float32(1e-38)  # a signed zero and a subnormal-edge value, bit for bit
    payload = wire.pack(heatmap(z, tokens(128)))
    head, start = wire.header(payload), wire.body_start(payload)
    assert head["body"] == "planes" and head["size"] == 128 * 128 * 4
    assert len(payload) - start < 0.9 * head["size"]  # the planes of float32 weights compress
    planes = np.frombuffer(zlib.decompress(payload[start:]), np.uint8).reshape(4, -1)
    np.testing.assert_array_equal(planes[3], z.view(np.uint8).reshape(-1, 4)[:, 3])  # byte 3 of each value
    back = wire.unpack(payload)["data"][0]["z"]
    assert back.tobytes() == z.tobytes()  # every bit: NaN, -0.0 and the rest
    assert wire.body(payload) == z.tobytes()


@pytest.mark.parametrize(
    ("z", "why"),
    [
        (softmax_rows(7), "too small to pay"),
        (softmax_rows(300), "too large: the time to compress matters more"),
        (np.random.default_rng(2).integers(0, 2**32, (64, 64), dtype=np.uint32).view(np.float32), "noise"),
    ],
)
def test_a_body_outside_the_sizes_or_that_does_not_shrink_travels_as_it_is(z, why):
    payload = wire.pack(heatmap(z, tokens(len(z))))
    head, start = wire.header(payload), wire.body_start(payload)
    assert "body" not in head and "size" not in head, why
    assert payload[start:] == z.astype(np.float32).tobytes() == wire.body(payload)
    assert wire.unpack(payload)["data"][0]["z"].tobytes() == z.astype(np.float32).tobytes()


def test_a_compressed_body_of_another_size_than_its_header_says_is_refused():
    payload = wire.pack(heatmap(softmax_rows(64), tokens(64)))
    assert wire.header(payload)["body"] == "planes"
    for size in (64 * 64 * 4 + 4, 64 * 64 * 4 - 2):  # a value more; a size no 4-byte body has
        raw = zlib.compress(json.dumps(wire.header(payload) | {"size": size}).encode())
        forged = (
            struct.pack("<I", len(raw)) + raw + b"\0" * (-len(raw) % 4) + payload[wire.body_start(payload) :]
        )
        with pytest.raises(ValueError, match="header says"):
            wire.unpack(forged)


def test_an_unchanged_body_is_compressed_once_and_the_kept_ones_stay_within_their_bytes(monkeypatch):
    calls = []
    counted = SimpleNamespace(
        compress=lambda data, level: calls.append(len(data)) or zlib.compress(data, level)
    )
    monkeypatch.setattr(planes, "zlib", counted)  # the planes' compression alone, not the headers'
    kept = planes.Kept(planes.MEMO_BYTES)
    monkeypatch.setattr(planes, "KEPT", kept)
    fig = heatmap(softmax_rows(64, seed=9), tokens(64))
    first, again = wire.pack(fig), wire.pack(fig)  # the same map in two runs: compressed once
    assert first == again and calls == [64 * 64 * 4]
    wire.pack(heatmap(softmax_rows(64, seed=9), tokens(64), title="another title"))  # the same numbers
    assert calls == [64 * 64 * 4]
    kept.limit = int(2.5 * kept.size)  # room for two bodies like this one, not three
    for seed in range(10, 14):
        wire.pack(heatmap(softmax_rows(64, seed=seed), tokens(64)))
    assert len(kept.bodies) == 2 and kept.size == sum(map(len, kept.bodies.values())) <= kept.limit
    wire.pack(heatmap(softmax_rows(64, seed=13), tokens(64)))  # the most recent one is still kept
    assert len(calls) == 5


def test_hostile_labels_come_back_byte_exact():
    labels = HOSTILE * 5  # long enough to become a shared label list
    fig = heatmap(np.zeros((20, 20)), labels, title=html.escape(HOSTILE[1], quote=False))
    payload = wire.pack(fig)
    back = wire.unpack(payload)
    assert back["data"][0]["x"] == [f"#{i} {html.escape(t, quote=False)}" for i, t in enumerate(labels)]
    assert back["layout"]["title"]["text"] == "&lt;img src=x onerror=alert(1)&gt;"
    raw = {"data": [{"type": "scatter", "text": HOSTILE, "name": HOSTILE[2]}], "layout": {}}
    back = wire.unpack(wire.pack(raw))
    assert back["data"][0]["text"] == HOSTILE and back["data"][0]["name"] == HOSTILE[2]


def test_overlay_labels_are_sent_as_indices_into_one_list():
    n = 40
    cats = [f"#{i} w{i}" for i in range(n)]
    i, j = (a.ravel() for a in np.indices((n, n)))
    overlay = {"type": "scatter", "x": [cats[b] for b in j], "y": [cats[a] for a in i]}
    fig = {"data": [{"type": "heatmap", "z": np.zeros((n, n)), "x": cats, "y": cats}, overlay], "layout": {}}
    payload = wire.pack(fig)
    head = wire.header(payload)
    assert len(head["labels"]) == 1  # the categories, once
    back = wire.unpack(payload)
    assert back["data"][1]["x"] == overlay["x"] and back["data"][1]["y"] == overlay["y"]
    assert len(payload) < 4 * n * n * 3 + 4000


def test_figure_dicts_with_plotly_base64_arrays_are_read():
    fig = heatmap(np.arange(12.0).reshape(3, 4), tokens(3))
    fig.data[0].x, fig.data[0].y = ("a", "b", "c", "d"), ("p", "q", "r")
    as_dict = fig.to_dict()
    assert "bdata" in json.dumps(as_dict["data"][0]["z"])
    back = wire.unpack(wire.pack(as_dict))
    np.testing.assert_array_equal(back["data"][0]["z"], np.arange(12.0, dtype=np.float32).reshape(3, 4))


def test_the_hash_follows_what_the_figure_shows_and_nothing_else():
    def hash_of(fig, **where):
        return wire.header(wire.pack(fig, **where))["hash"]

    before = hash_of(heatmap(np.full((8, 8), 1.0), tokens(8), "map"))
    assert hash_of(heatmap(np.full((8, 8), 1.0), tokens(8), "map")) == before
    assert hash_of(heatmap(np.full((8, 8), 1.0), tokens(8), "map"), name="other", group="g") == before
    assert hash_of(heatmap(np.full((8, 8), 1.5), tokens(8), "map")) != before
    assert hash_of(heatmap(np.full((8, 8), 1.0), [t + "!" for t in tokens(8)], "map")) != before
    assert hash_of(heatmap(np.full((8, 8), 1.0), tokens(8), "map"), config={"responsive": True}) != before


def test_the_header_carries_the_name_group_and_config():
    head = wire.header(wire.pack(heatmap(np.eye(3), tokens(3)), {"displaylogo": False}, "weights", "page"))
    assert (head["name"], head["group"], head["config"]) == ("weights", "page", {"displaylogo": False})
    assert head["version"] == wire.VERSION
    plain = wire.header(wire.pack({"data": [], "layout": {}}))
    assert (plain["name"], plain["group"], plain["config"]) == (None, None, {})


@pytest.mark.parametrize("n", [128, 512])
def test_payload_is_at_most_a_tenth_above_the_float32_matrix(n):
    rng = np.random.default_rng(n)
    payload = wire.pack(heatmap(rng.random((n, n)), tokens(n), "map", colorscale="Viridis"))
    assert len(payload) <= 1.1 * n * n * 4


def test_values_json_cannot_carry_are_refused_or_blanked():
    with pytest.raises(ValueError, match="int32"):
        wire.pack({"data": [{"type": "heatmap", "z": np.array([[2**40]])}], "layout": {}})
    back = wire.unpack(wire.pack({"data": [], "layout": {"yaxis": {"range": [float("nan"), 1.0]}}}))
    assert back["layout"]["yaxis"]["range"] == [None, 1.0]


def test_a_short_row_of_float64_keeps_every_digit_and_a_matrix_goes_as_float32():
    y = np.array([0.1, 1 / 3, 2.0**-40])
    fig = {"data": [{"type": "bar", "y": y}, {"type": "heatmap", "z": np.full((2, 2), 1 / 3)}]}
    back = wire.unpack(wire.pack(fig))
    assert back["data"][0]["y"].dtype == np.float64
    np.testing.assert_array_equal(back["data"][0]["y"], y)
    assert back["data"][1]["z"].dtype == np.float32
    long = wire.unpack(wire.pack({"data": [{"y": np.zeros(wire.EXACT_LIMIT + 1)}]}))
    assert long["data"][0]["y"].dtype == np.float32


def test_a_figure_is_read_through_its_private_properties_exactly_as_through_the_public_api():
    fig = heatmap(np.random.default_rng(1).random((20, 20)), tokens(20), colorscale="Viridis")
    fig.add_scatter(x=tokens(20), y=np.arange(20.0), mode="markers")
    public = {"data": [t.to_plotly_json() for t in fig.data], "layout": fig.layout.to_plotly_json()}
    assert wire.pack(fig) == wire.pack(public)  # guards plotly_properties against a plotly.py upgrade


def test_animation_frames_travel_with_their_arrays():
    frames = [go.Frame(data=[go.Heatmap(z=np.full((3, 3), k / 10))], name=f"d_k {k}") for k in range(3)]
    fig = go.Figure(go.Heatmap(z=np.zeros((3, 3))), frames=frames)
    back = wire.unpack(wire.pack(fig))
    assert [f["name"] for f in back["frames"]] == ["d_k 0", "d_k 1", "d_k 2"]
    np.testing.assert_array_equal(back["frames"][2]["data"][0]["z"], np.full((3, 3), 0.2, dtype=np.float32))


def frame(fig):  # -> the payload's frame digest
    return wire.header(wire.pack(fig))["frame"]


def test_the_frame_leaves_out_only_the_cells_the_names_the_title_and_the_shapes():
    """Two figures of one frame differ only in what the browser repaints or renames in place."""
    rng = np.random.default_rng(3)
    w, v = rng.random((6, 6)), rng.random((6, 6))
    base = weights_map(w, tokens(6), "A", colour="0-1")
    same = [
        weights_map(v, tokens(6), "B", colour="0-1"),
        weights_map(w, tokens(6), "A", colour="0-1", focus_row=2),
        weights_map(w, [f"v{i}" for i in range(6)], "A", colour="0-1"),  # new words as wide as the old
    ]
    assert {frame(f) for f in same} == {frame(base)}
    assert wire.header(wire.pack(same[0]))["hash"] != wire.header(wire.pack(base))["hash"]
    other = [
        weights_map(rng.random((7, 7)), tokens(7), "A", colour="0-1"),  # a new size
        weights_map(w, [f"word{i}" for i in range(6)], "A", colour="0-1"),  # wider words: wider margins
        weights_map(w, tokens(6), "A", colour="row"),  # another colour bar title
    ]
    chosen = weights_map(w, tokens(6), "A", colour="0-1")
    del chosen["data"][0]["zmin"], chosen["data"][0]["zmax"]  # a colour range Plotly chooses
    assert len({frame(f) for f in [base, *other, chosen]}) == 5


def form(fig):  # -> the payload's form digest
    return wire.header(wire.pack(fig))["form"]


def test_a_new_width_keeps_the_form_not_the_frame():
    """After a d_k step Q, K and V have more columns (and, at 64, every other one labelled): the browser
    draws them anew on the same plot. Anything else that changed (the rows' labels' width, a style, the
    number of maps) still replots."""
    rng = np.random.default_rng(5)
    rows = tokens(7)

    def qkv(d_k, names=rows, titles=("Q", "K", "V")):
        mats = [rng.normal(size=(len(names), d_k)) for _ in titles]
        return heatmap_row(mats, names, figures.dims(d_k), f"d_k = {d_k}", titles)

    widths = [qkv(d_k) for d_k in (16, 32, 64)]
    assert len({frame(f) for f in widths}) == 3
    assert len({form(f) for f in widths}) == 1
    assert widths[2]["layout"]["xaxis2"]["title"]["text"] != widths[0]["layout"]["xaxis2"]["title"]["text"]
    other = [
        qkv(16, [f"word{i}" for i in range(7)]),  # wider row labels: a wider margin
        qkv(16, titles=("Q", "K")),  # two maps, not three
        qkv(16, titles=("Q", "K", "O")),  # another subplot title
    ]
    assert len({form(f) for f in [widths[0], *other]}) == 4
    hover = qkv(16)
    hover["data"][0]["hovertemplate"] += "!"
    assert form(hover) != form(widths[0])


def test_a_new_colour_range_keeps_the_frame_and_travels_in_the_header():
    """A heatmap's zmin/zmax and a colour axis's cmin/cmax are redrawn in place (the colour bars alone):
    the frame stays, the hash and the header's values do not."""
    rng = np.random.default_rng(4)
    w = rng.random((5, 5))
    signed = [figures.heatmap(w * scale, tokens(5), tokens(5), "S") for scale in (1, 3)]
    rows = [heatmap_row([w * scale, -w], tokens(5), tokens(5), "R", ["a", "b"]) for scale in (1, 3)]
    for a, b in (signed, rows):
        assert frame(a) == frame(b)
        assert wire.header(wire.pack(a))["hash"] != wire.header(wire.pack(b))["hash"]
        tops = []
        for f in (a, b):
            back = wire.unpack(wire.pack(f))
            bar = back["layout"]["coloraxis"] if "coloraxis" in back["layout"] else back["data"][0]
            tops.append(bar.get("cmax", bar.get("zmax")))
        assert w.max() <= tops[0] < 3 * w.max() <= tops[1]  # each range holds its cells


def test_marks_that_moved_above_the_shapes_limit_keep_the_frame():
    """Above SHAPES_LIMIT tokens the outlines are a heatmap layer over the weights: marks that moved
    change its cells only, which the browser repaints in place (the frame stays, the hash does not)."""
    n = SHAPES_LIMIT + 2
    w = np.eye(n) * 0.5 + 0.01
    moved = np.zeros((n, n), dtype=bool)
    a, b = moved.copy(), moved.copy()
    a[0, 1], b[1, 0] = True, True
    figs = [weights_map(w, tokens(n), "A", moved=m) for m in (a, b)]
    assert len({frame(f) for f in figs}) == 1
    assert len({wire.header(wire.pack(f))["hash"] for f in figs}) == 2
    [layer] = figs[0]["data"][1:]
    assert layer["type"] == "heatmap" and layer["hoverinfo"] == "skip"
    z = np.asarray(layer["z"])
    assert z[0, 1] == 1.0 and z[0, 0] == 0.0 and np.isnan(z[1, 0])  # moved, largest in its row, neither
    assert np.count_nonzero(z == 0.0) == n  # one largest weight a row


@pytest.mark.parametrize("colour", ["row", "0-1"])
def test_the_weights_travel_once_and_their_colours_are_made_from_them(colour):
    rng = np.random.default_rng(3)
    w = rng.random((12, 12))
    w /= w.sum(axis=1, keepdims=True)
    w[2, 5] = np.nan  # masked
    w[7] = np.nan  # a row with every key masked
    fig = weights_map(w, tokens(12), "weights", colour=colour)
    payload = wire.pack(fig)
    [trace] = [t for t in wire.header(payload)["spec"]["data"] if wire.item(t, "type") == "heatmap"]
    assert trace["z"] == {"$derive": "row_scaled(text)" if colour == "row" else "text"}
    assert len(payload) - wire.body_start(payload) == 12 * 12 * 4  # one float32 matrix: the weights
    back = wire.unpack(payload)["data"][0]
    sent = fig["data"][0]
    np.testing.assert_array_equal(back["z"], np.asarray(sent["z"], np.float32))  # bit for bit, NaN kept
    np.testing.assert_array_equal(back["text"], np.asarray(w, np.float32))


def test_only_a_heatmap_with_its_text_has_a_derived_z():
    z = np.eye(3)
    for trace in (
        {"type": "heatmap", "z": z, "meta": {"z": "text"}},  # no text to make it from
        {"type": "heatmap", "z": z, "text": z, "meta": {"z": "unknown"}},
        {"type": "scatter", "x": [1, 2], "text": ["a", "b"], "meta": {"z": "text"}},
        {"type": "heatmap", "z": z, "text": z, "meta": "text"},
    ):
        back = wire.unpack(wire.pack({"data": [trace], "layout": {}}))["data"][0]
        assert "$derive" not in json.dumps(wire.header(wire.pack({"data": [trace], "layout": {}})))
        assert set(back) == set(trace)


def test_shared_styling_travels_by_name_and_comes_back_whole():
    fig = figures.heatmap(np.arange(9.0).reshape(3, 3), tokens(3), tokens(3), "Scores", value="score")
    head = wire.header(wire.pack(fig))
    [trace], layout = head["spec"]["data"], head["spec"]["layout"]
    assert trace["$base"] == "signed" and "colorscale" not in trace and wire.item(trace, "type") == "heatmap"
    assert layout["$base"] == "layout" and layout["title"]["$base"] == "title"
    assert layout["xaxis"]["$base"] == layout["yaxis"]["$base"] == "category"
    back = wire.unpack(wire.pack(fig))
    assert back["layout"] == fig["layout"]
    assert {k: v for k, v in back["data"][0].items() if k != "z"} == {
        k: v for k, v in fig["data"][0].items() if k != "z"
    }


def test_a_base_is_used_only_where_every_item_is_the_same():
    font = wire.BASES["layout"]["font"]
    cases = [
        {"template": "none", "font": font | {"size": 13}, "paper_bgcolor": "white", "plot_bgcolor": "white"},
        {"type": "heatmap", "hoverongaps": 0},  # 0 is not False
        {"type": "category", "tickmode": "array", "showgrid": False},  # one item short
        {"type": "heatmap", "hoverongaps": False, "colorscale": np.zeros(3)},  # an array is no base's
    ]
    for d in cases:
        assert wire.base_of(d) in (None, "heatmap") and (wire.base_of(d) is None or d["hoverongaps"] is False)
    assert wire.base_of(cases[3]) == "heatmap"  # the two items it shares with the plain heatmap base
    assert wire.base_of({"type": "heatmap", "hoverongaps": False} | wire.BASES["signed"]) == "signed"


def test_the_script_reads_the_bases_beside_it_under_its_own_version():
    script = (wire.BASES_FILE.parent / "live_chart.js").read_text()
    assert "chart_bases.json${new URL(import.meta.url).search}" in script
    assert wire.BASES_FILE.parent.name == "static" and json.loads(wire.BASES_FILE.read_text()) == wire.BASES


def test_a_layer_of_marks_travels_as_its_marked_cells_and_comes_back_whole():
    n = 512
    rng = np.random.default_rng(5)
    w = rng.random((n, n))
    w /= w.sum(axis=1, keepdims=True)
    moved = rng.random((n, n)) < 0.001
    fig = weights_map(w, tokens(n), "W", moved=moved)
    payload = wire.pack(fig)
    layer = wire.header(payload)["spec"]["data"][1]["z"]
    assert layer["$derive"] == "cells" and layer["shape"] == [n, n]
    marked = np.count_nonzero(~np.isnan(np.asarray(fig["data"][1]["z"])))
    assert n <= marked <= n + moved.sum()
    assert (
        len(payload) - wire.body_start(payload) <= n * n * 4 + 5 * marked + 8
    )  # the weights, then 5 B a mark
    back = wire.unpack(payload)["data"][1]["z"]
    np.testing.assert_array_equal(back, np.asarray(fig["data"][1]["z"], np.float32))  # NaN where unmarked


def test_a_layer_of_cells_holds_only_small_codes():
    for z in (np.array([[0.5, np.nan]]), np.array([[300.0, 1.0]]), np.array([[-1.0, np.nan]])):
        trace = {"type": "heatmap", "z": z, "meta": {"z": "cells"}}
        with pytest.raises(ValueError, match="codes 0-255"):
            wire.pack({"data": [trace], "layout": {}})
    empty = {"type": "heatmap", "z": np.full((3, 3), np.nan), "meta": {"z": "cells"}}
    assert np.isnan(wire.unpack(wire.pack({"data": [empty], "layout": {}}))["data"][0]["z"]).all()


def test_the_shared_styling_is_the_figures_own():
    """static/chart_bases.json repeats charts.figures' constants for the browser: if they drifted apart,
    the page would still be right but every map would send its styling in full again."""
    assert wire.BASES["layout"]["font"] == figures.FONT
    assert wire.BASES["signed"]["colorscale"] == wire.BASES["colours"]["colorscale"] == figures.SIGNED
    assert wire.BASES["signed"]["colorbar"] == wire.BASES["colourbar"] == figures.COLOURBAR
    assert wire.BASES["title"] == {k: v for k, v in figures.layout("t", 100)["title"].items() if k != "text"}
    z = np.eye(3)
    every = [
        figures.heatmap(z, tokens(3), tokens(3), "S"),
        heatmap_row([z, z, z], tokens(3), tokens(3), "T", "QKV"),
    ]
    for fig in every:
        head = wire.header(wire.pack(fig))
        assert head["spec"]["layout"]["$base"] == "layout" and all("$base" in t for t in head["spec"]["data"])


def test_a_colour_axis_a_scatter_also_uses_keeps_its_range_in_the_frame():
    """Only heatmaps are repainted in place: a range that colours markers too replots when it moves."""
    figs = []
    for top in (1.0, 2.0):
        heat = {"type": "heatmap", "z": np.eye(3), "coloraxis": "coloraxis"}
        dots = {
            "type": "scatter",
            "x": [0, 1],
            "y": [0, 1],
            "marker": {"color": [0, 1], "coloraxis": "coloraxis"},
        }
        figs.append({"data": [heat, dots], "layout": {"coloraxis": {"cmin": -top, "cmax": top}}})
    assert frame(figs[0]) != frame(figs[1])
    del figs[0]["data"][1], figs[1]["data"][1]  # the heatmap alone: repainted in place
    assert frame(figs[0]) == frame(figs[1])
