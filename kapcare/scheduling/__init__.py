"""The clinic's calendar: appointment types, availability, bookings that hold every participant
and resource they need (never double-booked), the course planner, reminders and feeds."""
