"""Background work for dosing (django-tasks). Messages name no client and no value: an e-mail
is not a safe place for health information, so they only send people to kapcare."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django_tasks import task

from kapcare.dosing.models import ReviewRequest, ReviewStatus
from kapcare.dosing.review_selectors import prescribers_to_ask


@task()
def notify_prescribers_of_review(request_id: int, url: str) -> int:
    """E-mail the care team's prescribers that a client at the chair is waiting for them."""
    request = (
        ReviewRequest.objects.select_related("clinic", "session__client")
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.status != ReviewStatus.WAITING:
        return 0
    emails = sorted({u.email for u in prescribers_to_ask(request.session) if u.email})
    if not emails:
        return 0
    return send_mail(
        _("kapcare: a client at the chair needs your review"),
        _(
            "A client at the chair at %(clinic)s needs your review before the dose. "
            "Please open this link, signed in to kapcare:\n\n%(url)s\n\n"
            "This message holds no client details on purpose."
        )
        % {"clinic": request.clinic.name, "url": url},
        None,
        emails,
    )
