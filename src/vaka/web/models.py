"""A user's own saved searches: the filters of a list, kept under a name.

A saved search holds the query string only, never results: running one opens the list
with those filters, so it shows what the list's normal visibility shows now.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_QUERY = 2000  # characters of query string; the lists' filters fit many times over


class SavedSearch(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="saved_searches", verbose_name=_("user"))
    list_name = models.CharField(_("list"), max_length=100,
                                 help_text=_("The URL name of the list, e.g. intel:objects."))
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=MAX_QUERY, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["list_name", "name"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [models.UniqueConstraint(fields=["user", "list_name", "name"],
                                               name="web_saved_search_unique_name")]

    def __str__(self) -> str:
        return self.name
