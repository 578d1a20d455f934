"""The primary condition a client comes with: asked when an inquiry becomes a client, kept on
the client's treatment course."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Condition(models.TextChoices):
    DEPRESSION = "depression", _("Depression")
    ANXIETY = "anxiety", _("Anxiety (incl. GAD, panic)")
    PTSD = "ptsd", _("PTSD")
    OCD = "ocd", _("OCD")
    OTHER = "other", _("Other")
