"""The Appointment state machine: the one table of allowed steps (DESIGN.md, STYLE.md).

booked → arrived → completed; a booked appointment may be cancelled (with a reason; late when
inside the clinic's late-cancellation window) or marked a no-show once its time has come.
"""

from kapcare.scheduling.models import AppointmentStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.BOOKED: frozenset({S.ARRIVED, S.CANCELLED, S.LATE_CANCELLED, S.NO_SHOW}),
    S.ARRIVED: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.LATE_CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}

REASON_REQUIRED: frozenset[str] = frozenset({S.CANCELLED, S.LATE_CANCELLED})

# These free the time the appointment held (its holds become inactive).
RELEASED: frozenset[str] = frozenset({S.CANCELLED, S.LATE_CANCELLED, S.NO_SHOW})

# Still on the calendar as a commitment: shown, reminded, counted as busy.
STANDING: frozenset[str] = frozenset({S.BOOKED, S.ARRIVED, S.COMPLETED})

# Can still be moved to another time.
MOVABLE: frozenset[str] = frozenset({S.BOOKED})
