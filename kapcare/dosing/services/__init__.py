"""Every write in dosing, split by sub-domain; import them from here."""

from kapcare.dosing.services.checks import clear_pre_dose_check, record_pre_dose_check
from kapcare.dosing.services.discharge import discharge_session
from kapcare.dosing.services.events import (
    mark_notification_read,
    record_adverse_event,
    record_session_waste,
    save_rems_record,
)
from kapcare.dosing.services.lifecycle import (
    abort_session,
    administer_dose,
    cancel_scheduled_session,
    check_in,
    complete_dosing,
    move_session,
    schedule_session,
)
from kapcare.dosing.services.monitoring import (
    acknowledge_alert,
    acknowledge_reading_alerts,
    rate_dissociation,
    record_vitals,
    save_session_note,
)
from kapcare.dosing.services.orders import cancel_dose_order, sign_dose_order
from kapcare.dosing.services.protocol import ensure_dosing_protocol, publish_dosing_protocol

__all__ = [
    "abort_session",
    "acknowledge_alert",
    "acknowledge_reading_alerts",
    "administer_dose",
    "cancel_dose_order",
    "cancel_scheduled_session",
    "check_in",
    "clear_pre_dose_check",
    "complete_dosing",
    "discharge_session",
    "ensure_dosing_protocol",
    "mark_notification_read",
    "move_session",
    "publish_dosing_protocol",
    "rate_dissociation",
    "record_adverse_event",
    "record_pre_dose_check",
    "record_session_waste",
    "record_vitals",
    "save_rems_record",
    "save_session_note",
    "schedule_session",
    "sign_dose_order",
]
