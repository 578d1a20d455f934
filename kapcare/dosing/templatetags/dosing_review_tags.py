"""The navigation's count of clients waiting in the chair for the signed-in prescriber."""

from django import template

from kapcare.accounts.models import Role
from kapcare.dosing.review_selectors import waiting_reviews_for

register = template.Library()


@register.simple_tag(takes_context=True)
def chair_reviews_waiting(context) -> int:
    """How many review requests wait for this prescriber (0 for everyone else, no query)."""
    request = context.get("request")
    actor = getattr(request, "actor", None)
    if actor is None or actor.user is None or not actor.has_role(Role.PRESCRIBER):
        return 0
    cached = getattr(request, "_chair_reviews_waiting", None)
    if cached is None:
        cached = request._chair_reviews_waiting = len(waiting_reviews_for(actor))
    return cached
