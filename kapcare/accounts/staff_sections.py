"""Sections other apps add to a staff member's page (e.g. clients: their care teams).

accounts sits below clients, so it cannot ask for care teams itself; the clients app registers
a section in its AppConfig.ready. A section is `(request, actor, member) -> (template, context)`.
"""

from __future__ import annotations

from collections.abc import Callable

StaffSection = Callable[..., tuple[str, dict]]

_sections: list[StaffSection] = []


def register_staff_section(section: StaffSection) -> StaffSection:
    if section not in _sections:
        _sections.append(section)
    return section


def staff_sections() -> list[StaffSection]:
    return list(_sections)
