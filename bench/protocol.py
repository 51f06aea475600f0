"""The websocket protocol client lives in harness.protocol; these names stay importable from here."""

from harness.protocol import Frames, Outcome, health, load_page, query  # noqa: F401
