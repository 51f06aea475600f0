"""The pictures: Plotly figures built from arrays and labels, never computing model quantities."""
