"""Reproducible zip packages: the same content and date give the same bytes.

Used for the docx report and the archive; every member is stamped with the report's date (not
the clock), stored with one mode, and an OOXML package's core dates are set to that date too."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time

FILE_MODE = 0o644  # every file in an archive and the archive itself: readable by all, written by the owner

CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def zip_time(when: date) -> tuple[int, int, int, int, int, int]:
    return (max(when.year, 1980), when.month, when.day, 0, 0, 0)


def zip_entry(name: str, when: date) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=zip_time(when))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, whichever system wrote it
    info.external_attr = (0o100000 | FILE_MODE) << 16
    return info


def restamp(data: bytes, when: date) -> bytes:
    """An OOXML package (docx, xlsx) made reproducible: members in their order, stamped with
    `when`, and the core properties' created/modified dates set to it (libraries write 'now')."""
    stamp = datetime.combine(when, time()).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            blob = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                blob = CORE_DATES.sub(lambda m: m.group(1) + stamp + m.group(3), blob)
            target.writestr(zip_entry(item.filename, when), blob, compresslevel=6)
    return out.getvalue()
