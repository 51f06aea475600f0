"""The in-place chart component from Python: a payload per figure, the vendored plotly.js, export names."""

import re
from importlib.metadata import version
from pathlib import Path

import numpy as np
import plotly
import plotly.graph_objects as go
import pytest
from packaging.specifiers import SpecifierSet
from plotly.offline import get_plotlyjs_version
from streamlit.testing.v1 import AppTest

from charts import wire
from views import live_chart

ROOT = Path(__file__).resolve().parent.parent
APP = str(Path(__file__).with_name("apps") / "live_chart_app.py")


@pytest.fixture
def app():
    return AppTest.from_file(APP, default_timeout=30).run()


def charts(at):  # AppTest -> dict component key -> payload header and figure, in page order
    found = {}
    for element in at.get("bidi_component"):
        assert element.proto.component_name == live_chart.COMPONENT
        found[element.key] = (wire.header(element.proto.bytes), wire.unpack(element.proto.bytes))
    return found


def test_each_figure_is_one_component_with_its_name_and_hover_group(app):
    assert not app.exception
    found = charts(app)
    assert list(found) == ["live_demo.0", "live_demo.1", "live_third.0", "live_apart.0"]
    heads = [head for head, _ in found.values()]
    assert [h["name"] for h in heads] == ["first", "second", "third", "apart"]  # one figure: the key
    assert [h["group"] for h in heads] == ["page", "page", "page", "apart"]
    assert [h["config"]["toImageButtonOptions"]["filename"] for h in heads] == [
        "First_map",
        "Second_map",
        "Third_map",
        "Fourth_map",
    ]


def test_the_payloads_hold_every_map_with_its_numbers(app):
    figures = [fig for _, fig in charts(app).values()]
    z = figures[0]["data"][0]["z"]
    assert z.dtype == np.float32 and z.shape == (6, 6)
    assert z[2, 3] == pytest.approx(1 + 0.2 + 0.03)
    np.testing.assert_array_equal(figures[1]["data"][0]["z"], -z)
    assert np.isnan(figures[2]["data"][0]["z"][0, 1])  # above the diagonal: masked, blank
    assert figures[1]["layout"]["title"]["text"] == "Second map"


def test_the_payloads_follow_the_widgets(app):
    app.slider(key="step").set_value(4)
    app.text_input(key="words").input("<b>x</b> y")
    app.run()
    _, first = charts(app)["live_demo.0"]
    assert first["data"][0]["z"][1, 0] == pytest.approx(4.1)
    assert first["data"][0]["x"] == ["#0 &lt;b&gt;x&lt;/b&gt;", "#1 y"]


def test_one_figure_is_named_after_the_key_and_a_dict_of_figures_by_its_names():
    fig, as_dict = go.Figure(), {"data": [], "layout": {}}
    assert live_chart.named(fig, "k") == {"k": fig}
    assert live_chart.named(as_dict, "k") == {"k": as_dict}  # a figure dict is one figure
    assert live_chart.named({"a": fig, "b": as_dict}, "k") == {"a": fig, "b": as_dict}


def test_the_vendored_plotly_js_is_the_release_the_installed_plotly_py_was_built_for():
    vendored = (live_chart.STATIC / "plotly.min.js").read_bytes()
    [shipped] = re.findall(rb"plotly\.js v(\d+\.\d+\.\d+)", vendored[:200])
    assert shipped.decode() == get_plotlyjs_version(), (
        "static/plotly.min.js is not the plotly.js of the installed plotly.py: copy "
        "plotly/package_data/plotly.min.js there (and pin plotly in requirements.txt to that release's major)"
    )
    packaged = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert vendored == packaged.read_bytes()


def test_requirements_pin_the_plotly_major_that_is_installed_and_tested():
    [line] = [x for x in (ROOT / "requirements.txt").read_text().splitlines() if x.startswith("plotly")]
    pin = SpecifierSet(line.split("#")[0].strip().removeprefix("plotly"))
    installed = version("plotly")
    assert installed in pin
    major = int(installed.split(".")[0])
    assert f"{major + 1}.0" not in pin and f"{major - 1}.99" not in pin  # one major only


def test_the_loader_imports_the_script_beside_plotly_js_under_a_name_that_changes_with_it():
    assert live_chart.SCRIPT.parent == live_chart.STATIC == ROOT / "static"
    assert re.fullmatch(r"app/static/live_chart\.js\?v=[0-9a-f]{12}", live_chart.URL)
    assert f'new URL("{live_chart.URL}", document.baseURI)' in live_chart.LOADER
    assert live_chart.static_url("live_chart.js") != live_chart.URL  # the styling it reads is in its name
    assert 'const PLOTLY_URL = "app/static/plotly.min.js";' in live_chart.SCRIPT.read_text()


def test_png_export_is_named_after_the_title():
    fig = {"data": [], "layout": {"title": {"text": "Attention weights: head 0"}}}
    config = live_chart.export_config(fig)
    assert config["toImageButtonOptions"]["filename"] == "Attention_weights"
    assert (
        live_chart.export_config(go.Figure(layout={"title": "Scores, 7 tokens"}))["toImageButtonOptions"][
            "filename"
        ]
        == "Scores"
    )
    assert (
        live_chart.export_config({"data": [], "layout": {}})["toImageButtonOptions"]["filename"]
        == "attention"
    )
    assert live_chart.export_config(go.Figure())["toImageButtonOptions"]["filename"] == "attention"


def test_the_png_name_stays_the_same_when_only_the_sizes_in_a_title_change():
    titles = [f"Queries, keys and values, each {n} tokens × d_k = {d}" for n, d in ((7, 16), (9, 32))]
    names = [live_chart.export_config({"layout": {"title": {"text": t}}}) for t in titles]
    assert names[0] == names[1]  # an unchanged config lets Plotly.react update the plot in place
    assert names[0]["toImageButtonOptions"]["filename"] == "Queries"
