"""Just enough PDF reading to check what a WeasyPrint document shows: the text of every content
stream, decoded through the fonts' ToUnicode maps. No dependency; not a general PDF parser."""

import re
import zlib

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
TRIPLE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
SHOWN = re.compile(rb"<([0-9A-Fa-f]+)>")
BLOCK = re.compile(rb"BT(.*?)ET", re.S)


def _streams(data: bytes) -> list[bytes]:
    out = []
    for raw in STREAM.findall(data):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return out


def _unicode(hex_text: bytes) -> str:
    return bytes.fromhex(hex_text.decode()).decode("utf-16-be", errors="replace")


def pdf_text(data: bytes) -> str:
    """All text shown in the PDF, one line per text block, glyphs joined without spaces."""
    streams = _streams(data)
    glyphs: dict[int, str] = {}
    for stream in streams:
        for block in BFCHAR.findall(stream):
            for code, text in PAIR.findall(block):
                glyphs[int(code, 16)] = _unicode(text)
        for block in BFRANGE.findall(stream):
            for start, end, text in TRIPLE.findall(block):
                first = ord(_unicode(text))
                for offset, code in enumerate(range(int(start, 16), int(end, 16) + 1)):
                    glyphs[code] = chr(first + offset)
    lines = []
    for stream in streams:
        for block in BLOCK.findall(stream):
            shown = SHOWN.findall(block)
            text = "".join(
                glyphs.get(int(code[i : i + 4], 16), "?")
                for code in shown
                for i in range(0, len(code), 4)
            )
            if text:
                lines.append(text)
    return "\n".join(lines)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)
