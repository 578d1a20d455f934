"""The statuses of a dosing session, in a module of their own: kapcare.dosing.states builds the
state machine from them and the session model reads its final states from there, so neither
module needs the other while it loads."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DosingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CHECKED_IN = "checked_in", _("Checked in")
    PRE_DOSE_CHECKS = "pre_dose_checks", _("Pre-dose checks")
    DOSING = "dosing", _("Dosing")
    MONITORING = "monitoring", _("Monitoring")
    DISCHARGED = "discharged", _("Discharged")
    ABORTED = "aborted", _("Aborted")
