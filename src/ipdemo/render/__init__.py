"""Renderers: turn core results into text, markdown, CSV, JSON, HTML, XLSX, Word (docx) and charts;
reproducible.py makes their zip packages byte-stable. No core logic.

Every word they write is an i18n label or message (tests/test_i18n.py): no inline Chinese, and no
`lang == "zh"` choosing words."""
