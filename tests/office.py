"""The real renderers, for tests that look at a document the way an official's machine shows it.

`pdf_of(path)` converts a .docx or .xlsx to PDF with LibreOffice (headless, a private profile so
tests can run side by side) and `pages(pdf)` reads it back with pypdf: each page's text and size.
Without LibreOffice the tests that need it are skipped with a reason that says so; `.ci/run`
installs it (Debian's libreoffice-writer-nogui and libreoffice-calc-nogui, with fonts-noto-cjk),
so in CI they always run.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


needs_libreoffice = pytest.mark.skipif(
    soffice() is None, reason="LibreOffice is not installed (.ci/run installs Debian's libreoffice-*-nogui)"
)


@dataclass(frozen=True)
class Page:
    text: str
    width_mm: float
    height_mm: float

    @property
    def landscape(self) -> bool:
        return self.width_mm > self.height_mm


def pdf_of(document: Path, work: Path) -> Path:
    """The PDF LibreOffice makes of `document` (written under `work`)."""
    program = soffice()
    if program is None:
        pytest.skip("LibreOffice is not installed")
    out = work / "pdf"
    out.mkdir(parents=True, exist_ok=True)
    profile = (work / "lo-profile").resolve().as_uri()
    done = subprocess.run(
        [program, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(out),
         str(document)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    pdf = out / (document.stem + ".pdf")
    assert pdf.exists(), f"LibreOffice made no PDF of {document.name}: {done.stdout} {done.stderr}"
    return pdf


def pages(pdf: Path) -> list[Page]:
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    points_per_mm = 72 / 25.4
    return [
        Page(
            text=page.extract_text() or "",
            width_mm=float(page.mediabox.width) / points_per_mm,
            height_mm=float(page.mediabox.height) / points_per_mm,
        )
        for page in reader.pages
    ]


def png_pages(pdf: Path, work: Path, dpi: int = 60) -> list[Path]:
    """PNGs of the pages (pdftoppm), for a person to look at; [] when poppler is missing."""
    if shutil.which("pdftoppm") is None:
        return []
    prefix = work / pdf.stem
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True, timeout=120)
    return sorted(work.glob(pdf.stem + "*.png"))
