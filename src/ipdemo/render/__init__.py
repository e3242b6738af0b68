"""Renderers: turn core results into text, markdown, CSV, JSON, HTML or XLSX. No core logic."""
