"""The catalogue's and the session list's filters, defined once for the pages and (later)
the API; a value that does not parse is refused naming the parameter (a 400), never read
as "no filter"."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from vaka.directory.models import Country, Programme
from vaka.training.courses import language_known
from vaka.training.models import Course, Delivery, Level, Session, Topic
from vaka.training.selectors_courses import today
from vaka.web.filters import StrictBooleanFilter, StrictFilterSet


def _in_json_list(field: str, code: str) -> Q:
    # Codes are a JSON list; a quoted code matches one element on SQLite and PostgreSQL.
    return Q(**{f"{field}__icontains": f'"{code}"'})


def _check_language(value: str) -> None:
    if value.strip() and not language_known(value.strip().lower()):
        raise ValidationError(_("“%s” is not an ISO 639-1 language code (e.g. en, fr, sm).")
                              % value)


class CourseFilter(StrictFilterSet):
    q = filters.CharFilter(method="with_text", label=_("Search"),
                           help_text=_("Code, title or summary."))
    topic = filters.ChoiceFilter(choices=Topic.choices, method="with_topic",
                                 label=_("Topic"))
    level = filters.ChoiceFilter(choices=Level.choices, label=_("Level"))
    delivery = filters.ChoiceFilter(choices=Delivery.choices, label=_("Delivery"))
    language = filters.CharFilter(method="with_language", label=_("Language"),
                                  validators=[_check_language],
                                  help_text=_("An ISO 639-1 code, e.g. en, fr, sm."))
    programme = filters.ModelChoiceFilter(queryset=Programme.objects.all(),
                                          label=_("Programme"))
    human_rights_gender = StrictBooleanFilter(label=_("Human rights and gender content"))
    archived = StrictBooleanFilter(field_name="archived_at", lookup_expr="isnull",
                                   exclude=True, label=_("Archived"),
                                   help_text=_("Not given: only courses still offered."))

    class Meta:
        model = Course
        fields = ["q", "topic", "level", "delivery", "language", "programme",
                  "human_rights_gender", "archived"]

    def filter_queryset(self, queryset: QuerySet[Course]) -> QuerySet[Course]:
        # The catalogue's default view: archived courses are left out until asked for.
        if self.form.cleaned_data.get("archived") is None:
            queryset = queryset.filter(archived_at__isnull=True)
        return super().filter_queryset(queryset)

    def with_text(self, queryset: QuerySet[Course], name: str, value: str
                  ) -> QuerySet[Course]:
        text = value.strip().replace("\x00", "")
        if not text:
            return queryset
        return queryset.filter(Q(code__icontains=text) | Q(title__icontains=text)
                               | Q(summary__icontains=text))

    def with_topic(self, queryset: QuerySet[Course], name: str, value: str
                   ) -> QuerySet[Course]:
        return queryset.filter(_in_json_list("topics", value))

    def with_language(self, queryset: QuerySet[Course], name: str, value: str
                      ) -> QuerySet[Course]:
        code = value.strip().lower()
        return queryset.filter(_in_json_list("languages", code)) if code else queryset


class SessionFilter(StrictFilterSet):
    WHEN = [("upcoming", _("Upcoming")), ("past", _("Past"))]

    when = filters.ChoiceFilter(choices=WHEN, method="with_when", label=_("When"))
    country = filters.ModelChoiceFilter(to_field_name="code", queryset=Country.objects.all(),
                                        label=_("Country"))
    course = filters.ModelChoiceFilter(queryset=Course.objects.none(), label=_("Course"))
    year = filters.NumberFilter(field_name="starts", lookup_expr="year", label=_("Year"))
    cancelled = StrictBooleanFilter(field_name="cancelled_at", lookup_expr="isnull",
                                    exclude=True, label=_("Cancelled"))

    class Meta:
        model = Session
        fields = ["when", "country", "course", "year", "cancelled"]

    def __init__(self, *args: Any, courses: QuerySet[Course], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only courses the user sees: an id of a hidden course reads as no course at all.
        self.filters["course"].queryset = courses

    def with_when(self, queryset: QuerySet[Session], name: str, value: str
                  ) -> QuerySet[Session]:
        if value == "upcoming":
            return queryset.filter(ends__gte=today()).order_by("starts", "pk")
        return queryset.filter(ends__lt=today()).order_by("-starts", "pk")
