"""Text a person typed, set into a sentence of ours: it ends with one full stop, never two."""

from django import template

register = template.Library()


@register.filter
def sentence(text) -> str:
    """`text` ending in exactly one sentence mark: "Given 4 mg." stays as it is, "Given 4 mg"
    gains a full stop. Templates write `{{ x|sentence }}`, never `{{ x }}.` (which doubled the
    period whenever the value already had one)."""
    text = str(text or "").strip()
    if not text:
        return ""
    return text if text[-1] in ".!?…" else f"{text}."
