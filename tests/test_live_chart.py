"""The in-place chart component seen from Python: its payload, its plotly.js copy, its export names."""

from pathlib import Path

import numpy as np
import pytest
from component_data import live_figures
from streamlit.testing.v1 import AppTest

from views import live_chart

APP = str(Path(__file__).with_name("apps") / "live_chart_app.py")


@pytest.fixture
def app():
    return AppTest.from_file(APP, default_timeout=30).run()


def test_the_payload_holds_every_map_with_its_numbers(app):
    assert not app.exception
    figures = live_figures(app)["demo"]
    assert len(figures) == 3
    z = figures[0]["data"][0]["z"]
    assert z.dtype == np.float32 and z.shape == (6, 6)
    assert z[2, 3] == pytest.approx(1 + 0.2 + 0.03)
    assert np.isnan(figures[2]["data"][0]["z"][0, 1])  # above the diagonal: masked, blank
    assert figures[1]["layout"]["title"]["text"] == "Second map"


def test_the_payload_follows_the_widgets(app):
    app.slider(key="step").set_value(4)
    app.text_input(key="words").input("<b>x</b> y")
    app.run()
    [first, *_] = live_figures(app)["demo"]
    assert first["data"][0]["z"][1, 0] == pytest.approx(4.1)
    assert first["data"][0]["x"] == ["#0 &lt;b&gt;x&lt;/b&gt;", "#1 y"]


def test_plotly_js_and_the_script_are_copied_next_to_the_app(tmp_path):
    target = live_chart.ensure_plotly_static(tmp_path)
    assert target == tmp_path / "static" / "plotly.min.js"
    assert target.read_bytes()[:200] == live_chart.PLOTLY_JS.read_bytes()[:200]
    assert not target.is_symlink()  # Streamlit refuses links that leave the static folder
    assert live_chart.ensure_plotly_static(tmp_path).stat().st_mtime == target.stat().st_mtime
    script = tmp_path / "static" / "live_chart.js"
    assert script.read_text() == live_chart.SCRIPT.read_text()
    script.write_text("// an older version")
    live_chart.ensure_plotly_static(tmp_path)
    assert script.read_text() == live_chart.SCRIPT.read_text()


def test_png_export_is_named_after_the_title():
    fig = {"data": [], "layout": {"title": {"text": "Attention weights: head 0"}}}
    config = live_chart.export_config(fig)
    assert config["toImageButtonOptions"]["filename"] == "Attention_weights"
    assert (
        live_chart.export_config({"data": [], "layout": {}})["toImageButtonOptions"]["filename"]
        == "attention"
    )


def test_the_png_name_stays_the_same_when_only_the_sizes_in_a_title_change():
    titles = [f"Queries, keys and values, each {n} tokens × d_k = {d}" for n, d in ((7, 16), (9, 32))]
    names = [live_chart.export_config({"layout": {"title": {"text": t}}}) for t in titles]
    assert names[0] == names[1]  # an unchanged config lets Plotly.react update the plot in place
    assert names[0]["toImageButtonOptions"]["filename"] == "Queries"
