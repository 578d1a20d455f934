"""Sources shown to clinicians: the published source a default comes from, not our internal
notes. Defaults cite sections of the clinical facts sheet (FACTS.md §3.2 …) with its evidence
markers ([K], [V], [?]); that is a developer's reference. `source_title` turns it into the
title of what the section summarises, keeping the primary source named in brackets."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

# What each section of FACTS.md summarises, as a clinician would cite it.
SECTION_TITLES = {
    "1.1": _lazy("PHQ-9 (Kroenke, Spitzer & Williams 2001)"),
    "1.2": _lazy("GAD-7 (Spitzer, Kroenke, Williams & Löwe 2006)"),
    "1.3": _lazy("PCL-5 (Weathers et al. 2013, National Center for PTSD)"),
    "1.4": _lazy("OCI-R (Foa et al. 2002)"),
    "1.5": _lazy("C-SSRS Screener (Posner et al. 2011)"),
    "1.6": _lazy("CADSS (Bremner et al. 1998)"),
    "2.1": _lazy("Response and remission definitions"),
    "2.2": _lazy("Reliable and clinically significant change (Jacobson & Truax 1991)"),
    "2.3": _lazy("NHS Talking Therapies for anxiety and depression"),
    "3": _lazy("Ketamine screening consensus"),
    "3.1": _lazy("Esketamine (Spravato) prescribing information"),
    "3.2": _lazy("Ketamine screening consensus"),
    "3.3": _lazy("Ketamine drug interactions"),
    "4.1": _lazy("Ketamine doses by route"),
    "4.2": _lazy("Ketamine bioavailability by route"),
    "4.3": _lazy("Pre-dose checklist"),
    "4.4": _lazy("Monitoring during and after a dose"),
    "4.5": _lazy("Discharge criteria"),
    "4.6": _lazy("Common adverse events"),
    "4.7": _lazy("Rescue medications in clinic protocols"),
    "5": _lazy("US controlled-substance record keeping (21 CFR Part 1304)"),
    "6.1": _lazy("KAP course structure"),
    "6.2": _lazy("Set and setting"),
    "6.3": _lazy("Informed consent for ketamine"),
    "7": _lazy("common practice"),
}
# Sections that are notes for developers and name no source of their own.
_SILENT_SECTIONS = {"8"}
_SECTION = re.compile(r"§\s*(\d+(?:\.\d+)?)(?:\s+items?\s+[\d,\s]+)?")
_MARKERS = re.compile(r"\[(?:[KV?](?:\]\[[KV?])*|[KV?]\]\[[KV?]|unverified[^\]]*|no consensus)\]")
_UNVERIFIED = re.compile(r"\[(?:\?|unverified[^\]]*)\]|\[[KV]\]\[\?\]|\[\?\]\[[KV]\]")


def _title(number: str) -> str:
    if number in _SILENT_SECTIONS:
        return ""
    title = SECTION_TITLES.get(number) or SECTION_TITLES.get(number.split(".")[0])
    return str(title) if title else ""


def source_title(source: str) -> str:
    """ "FACTS.md §3.3 Benzodiazepines [K][?]" → "Ketamine drug interactions: Benzodiazepines
    (not verified)". Text that does not cite FACTS.md is returned as it is."""
    text = (source or "").strip()
    if "FACTS.md" not in text and "§" not in text:
        return text
    unverified = bool(_UNVERIFIED.search(text))
    text = _MARKERS.sub("", text.replace("FACTS.md", ""))
    parts = []
    for chunk in re.split(r"[;,]\s*(?=§)", text):
        chunk = chunk.strip()
        match = _SECTION.match(chunk)
        if match:
            title, rest = _title(match.group(1)), chunk[match.end() :].strip(" :")
            chunk = (
                f"{title}: {rest}"
                if title and rest and not rest.startswith("(")
                else (f"{title} {rest}".strip() if title else rest)
            )
        chunk = " ".join(chunk.split()).strip(" :;,")
        if chunk and chunk not in parts:
            parts.append(chunk)
    shown = "; ".join(parts)
    if unverified:
        shown = f"{shown} ({_('not verified')})" if shown else _("not verified")
    return shown
