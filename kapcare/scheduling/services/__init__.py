"""Every write on the calendar; import them from here."""

from kapcare.scheduling.services.booking import (
    BookingRequest,
    book,
    cancel,
    mark_arrived,
    mark_completed,
    mark_no_show,
    reschedule,
)

__all__ = [
    "BookingRequest",
    "book",
    "cancel",
    "mark_arrived",
    "mark_completed",
    "mark_no_show",
    "reschedule",
]
