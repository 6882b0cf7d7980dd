"""Intelligence records. For now the analyst note; the STIX store joins it here."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vaka.policy.models import Shareable


class Note(Shareable):
    """A free-text analyst note carrying the full set of markings."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("intel:note", args=[self.pk])
