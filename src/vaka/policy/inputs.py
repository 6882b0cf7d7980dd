"""The markings input, defined once.

Every channel that lets someone mark a record — web forms, REST serializers, ``vaka``
commands, feed and TAXII collection settings — builds its fields from ``MARKING_INPUTS``
and turns what it received into ``Markings`` with :func:`markings_from`, so the same
fields, defaults and error messages hold everywhere (``tests/policy/test_inputs.py``
checks that no channel leaves a field out). The defaults are those of ``Markings``.
"""

import argparse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vaka.directory.models import Community, Organisation, User
from vaka.ids import parse_id
from vaka.policy.markings import (
    GRADING_SCHEME_CHOICES,
    GRADING_SCHEMES,
    PAP,
    PAP_DESCRIPTIONS,
    TLP,
    TLP_DESCRIPTIONS,
    Distribution,
    Handling,
)
from vaka.policy.services import Markings, clean_markings, not_a_member

CHOICE, CODES, TEXT, GRADE = "choice", "codes", "text", "grade"
COMMUNITIES, ORGANISATIONS, PEOPLE = "communities", "organisations", "people"
RELATIONS = (COMMUNITIES, ORGANISATIONS, PEOPLE)
HANDLING_NOTE_LENGTH = 500


@dataclass(frozen=True)
class MarkingInput:
    """One input: ``name`` is the ``Markings`` attribute, the form field and the API
    parameter; ``option`` the command-line option (repeatable when ``many``)."""

    name: str
    option: str
    label: Promise
    kind: str
    help: Promise | str = ""
    choices: tuple[tuple[str, Any], ...] = ()
    part: str = ""  # for GRADE: the scheme's table (source, information, handling)

    @property
    def many(self) -> bool:
        return self.kind in (CODES, *RELATIONS)

    @property
    def default(self) -> Any:
        value = getattr(Markings(), self.name)
        return list(value) if isinstance(value, list) else value

    @property
    def values(self) -> list[str]:
        return [code for code, _label in self.choices]


def _described(choices: Iterable[tuple[str, str]], descriptions: Mapping[str, Any]
               ) -> tuple[tuple[str, Any], ...]:
    # format_lazy: the choices are built at import, the description is translated when shown.
    return tuple((code, format_lazy("{} — {}", label, descriptions[code]))
                 for code, label in choices)


MARKING_INPUTS: tuple[MarkingInput, ...] = (
    MarkingInput("distribution", "--distribution", gettext_lazy("Distribution"), CHOICE,
                 choices=tuple(Distribution.choices)),
    MarkingInput("tlp", "--tlp", gettext_lazy("TLP"), CHOICE,
                 choices=_described(TLP.choices, TLP_DESCRIPTIONS)),
    MarkingInput("communities", "--community", gettext_lazy("Communities"), COMMUNITIES,
                 help=gettext_lazy("Community names (distribution “communities”).")),
    MarkingInput("recipient_organisations", "--recipient-org",
                 gettext_lazy("Recipient organisations"), ORGANISATIONS,
                 help=gettext_lazy("TLP:AMBER and TLP:AMBER+STRICT reach these organisations. "
                                   "Empty: every organisation the distribution reaches.")),
    MarkingInput("recipients", "--recipient", gettext_lazy("Named recipients"), PEOPLE,
                 help=gettext_lazy("TLP:RED reaches these people only (and whoever marks "
                                   "it).")),
    MarkingInput("pap", "--pap", gettext_lazy("PAP"), CHOICE,
                 choices=_described(PAP.choices, PAP_DESCRIPTIONS)),
    MarkingInput("handling", "--handling", gettext_lazy("Handling"), CODES,
                 choices=tuple(Handling.choices)),
    MarkingInput("handling_note", "--handling-note", gettext_lazy("Handling note"), TEXT),
    MarkingInput("grading_scheme", "--grading-scheme", gettext_lazy("Grading scheme"), CHOICE,
                 choices=tuple(GRADING_SCHEME_CHOICES)),
    MarkingInput("grading_source", "--source", gettext_lazy("Source evaluation"), GRADE,
                 part="source"),
    MarkingInput("grading_information", "--information",
                 gettext_lazy("Information evaluation"), GRADE, part="information"),
    MarkingInput("grading_handling", "--grading-handling",
                 gettext_lazy("Grading handling code"), GRADE, part="handling"),
)
BY_NAME = {spec.name: spec for spec in MARKING_INPUTS}
NAMES = tuple(BY_NAME)
assert set(NAMES) == {f.name for f in fields(Markings)}, "Markings and MARKING_INPUTS differ"


def grade_choices(part: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The codes of one grading table, grouped by scheme, as ``scheme:code`` values."""
    groups = []
    for scheme in GRADING_SCHEMES.values():
        table = getattr(scheme, part)
        if table:
            groups.append((scheme.label, [(f"{scheme.code}:{code}",
                                           format_lazy("{} — {}", code, label))
                                          for code, label in table.items()]))
    return groups


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str | int | Community | Organisation | User):
        return [value]
    return list(value)


def _resolve(kind: str, items: list[Any], owner: Organisation | None
             ) -> tuple[list[Any], list[str]]:
    """Model instances for names, ids or usernames; and the messages for unknown ones."""
    found: list[Any] = []
    problems: list[str] = []
    for item in items:
        if isinstance(item, str) and "\x00" in item:
            # No name holds one, and PostgreSQL refuses to compare text with it.
            problems.append(_("“%s” holds a NUL character; no name does.")
                            % item.replace("\x00", "\\0"))
            continue
        if kind == COMMUNITIES:
            match = item if isinstance(item, Community) else \
                Community.objects.filter(name=str(item).strip()).first()
            if match is None:
                problems.append(not_a_member(owner, str(item).strip()))
        elif kind == ORGANISATIONS:
            match = item if isinstance(item, Organisation) else _organisation(str(item))
            if match is None:
                problems.append(_("No active organisation “%s”.") % item)
        else:
            match = item if isinstance(item, User) else User.objects.filter(
                username=str(item).strip(), is_active=True,
                organisation__isnull=False).first()
            if match is None:
                problems.append(_("No active user “%s”.") % item)
        if match is not None and match not in found:
            found.append(match)
    return found, problems


def _organisation(text: str) -> Organisation | None:
    text = text.strip()
    active = Organisation.objects.filter(is_active=True, origin__isnull=True)
    pk = parse_id(text)
    if pk is not None:
        return active.filter(pk=pk).first()
    return active.filter(name=text).first() or active.filter(short_name=text).first()


def markings_from(data: Mapping[str, Any], base: Markings | None = None, *,
                  owner: Organisation | None = None,
                  errors: dict[str, list[str]] | None = None) -> Markings:
    """``Markings`` from what a channel received: values present in ``data`` replace those
    of ``base`` (the defaults when None). Codes must be written exactly (``green``, not
    ``GREEN``); relations may be instances or names (communities), ids or names
    (organisations) and usernames (people); a grading code may be ``scheme:code``.

    Raises ``ValidationError`` keyed by field — or, given ``errors``, adds to it and keeps
    ``base``'s value of a wrong field. The rules between the markings (TLP:RED needs
    recipients, …) are :func:`policy.services.clean_markings`'s: see :func:`parse_markings`.
    """
    m = base or Markings()
    raising = errors is None
    errors = {} if errors is None else errors
    scheme = data.get("grading_scheme") or m.grading_scheme
    for spec in MARKING_INPUTS:
        if spec.name not in data:
            continue
        value = data[spec.name]
        if spec.kind in RELATIONS:
            value, problems = _resolve(spec.kind, _as_list(value), owner)
            if problems:
                errors[spec.name] = problems
        elif spec.kind == CODES:
            value = [str(code) for code in _as_list(value)]
            unknown = [code for code in value if code not in spec.values]
            if unknown:
                errors[spec.name] = [_("Unknown code(s): %(codes)s (allowed: %(allowed)s).")
                                     % {"codes": ", ".join(unknown),
                                        "allowed": ", ".join(spec.values)}]
        elif spec.kind == CHOICE:
            value = "" if value is None else str(value)
            if value not in spec.values:
                errors[spec.name] = [_("Unknown value “%(value)s” (allowed: %(allowed)s).")
                                     % {"value": value, "allowed": ", ".join(spec.values)}]
        elif spec.kind == GRADE:
            value = "" if value is None else str(value).strip()
            own_scheme, sep, code = value.rpartition(":")
            if sep and own_scheme != scheme:
                errors[spec.name] = [_("This code belongs to another grading scheme.")]
            value = code
        else:
            value = "" if value is None else str(value).strip()
            if len(value) > HANDLING_NOTE_LENGTH:
                errors[spec.name] = [_("At most %d characters.") % HANDLING_NOTE_LENGTH]
        if spec.name not in errors:
            setattr(m, spec.name, value)
    if errors and raising:
        raise ValidationError(errors)
    return m


def parse_markings(data: Mapping[str, Any], *, owner: Organisation, creator: User | None,
                   base: Markings | None = None) -> Markings:
    """:func:`markings_from` then the rules of DESIGN.md §2 for ``owner``'s record; one
    ``ValidationError`` names every wrong field."""
    errors: dict[str, list[str]] = {}
    m = markings_from(data, base, owner=owner, errors=errors)
    try:
        m = clean_markings(owner, creator, m)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            if name not in errors:
                errors[name] = messages
    if errors:
        raise ValidationError(errors)
    return m


# --- the command line ------------------------------------------------------------------------

def add_options(parser: argparse.ArgumentParser) -> None:
    """One option per input; the defaults are left to ``Markings``."""
    group = parser.add_argument_group("markings")
    for spec in MARKING_INPUTS:
        kwargs: dict[str, Any] = {"dest": f"marking_{spec.name}", "default": None,
                                  "help": f"{spec.label}. {spec.help}".strip()}
        if spec.kind == CHOICE:
            kwargs["choices"] = spec.values
            kwargs["help"] += f" Default: {spec.default}."
        elif spec.kind == CODES:
            kwargs["choices"] = spec.values
        if spec.many:
            kwargs["action"] = "append"
            kwargs["help"] += " Repeatable."
        group.add_argument(spec.option, **kwargs)


def options_data(options: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs given on the command line, for :func:`markings_from`."""
    return {spec.name: options[f"marking_{spec.name}"] for spec in MARKING_INPUTS
            if options.get(f"marking_{spec.name}") is not None}
