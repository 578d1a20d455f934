"""Dosing at the chair: protocol versions, dose orders, sessions and everything recorded in them.

Split by sub-domain; import from here. No app below dosing imports them: courses, the ledger and
measures keep a session as an opaque id (kapcare.courses.dosing_sessions)."""

from kapcare.dosing.models.administration import Administration, AdministrationKind, Site
from kapcare.dosing.models.checks import PreDoseCheck, PregnancyTest
from kapcare.dosing.models.events import (
    SERIOUS,
    AdverseEvent,
    AdverseEventKind,
    Discharge,
    DosingNotification,
    Outcome,
    RemsRecord,
    Severity,
)
from kapcare.dosing.models.monitoring import (
    AlertKind,
    DissociationRating,
    MonitoringAlert,
    SessionNote,
    VitalSign,
)
from kapcare.dosing.models.orders import PRODUCT_ROUTES, DoseOrder, Product, Route
from kapcare.dosing.models.protocol import DosingProtocol
from kapcare.dosing.models.review import ReviewRequest, ReviewStatus
from kapcare.dosing.models.session import DosingSession, DosingStatus, SessionStatusChange

__all__ = [
    "PRODUCT_ROUTES",
    "SERIOUS",
    "Administration",
    "AdministrationKind",
    "AdverseEvent",
    "AdverseEventKind",
    "AlertKind",
    "Discharge",
    "DissociationRating",
    "DoseOrder",
    "DosingNotification",
    "DosingProtocol",
    "DosingSession",
    "DosingStatus",
    "MonitoringAlert",
    "Outcome",
    "PreDoseCheck",
    "PregnancyTest",
    "Product",
    "RemsRecord",
    "ReviewRequest",
    "ReviewStatus",
    "Route",
    "SessionNote",
    "SessionStatusChange",
    "Severity",
    "Site",
    "VitalSign",
]
