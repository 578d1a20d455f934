"""Show a consent document's plain text with its section headings as headings.

The text is stored and hashed exactly as typed; this only decides how it is laid out."""

from dataclasses import dataclass

from django import template

register = template.Library()

# A first line this short, with more lines under it and no closing punctuation, is a heading
# ("2. Off-label use"); anything longer is the start of an ordinary paragraph.
HEADING_MAX_CHARS = 80


@dataclass(frozen=True)
class Block:
    heading: str
    text: str


def split_blocks(body: str) -> list[Block]:
    blocks = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.rstrip() for line in chunk.strip("\n").split("\n")]
        if not any(lines):
            continue
        first = lines[0].strip()
        if (
            len(lines) > 1
            and first
            and len(first) <= HEADING_MAX_CHARS
            and first[-1] not in ".:;,!?"
        ):
            blocks.append(Block(heading=first, text="\n".join(lines[1:]).strip()))
        else:
            blocks.append(Block(heading="", text="\n".join(lines).strip()))
    return blocks


@register.filter
def consent_blocks(body: str) -> list[Block]:
    return split_blocks(body or "")
