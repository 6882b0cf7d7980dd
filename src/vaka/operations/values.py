"""A target's value in its canonical form, the one deconfliction compares.

Infrastructure is canonicalised exactly as the observable index does it
(:func:`vaka.intel.parsing.observables.canonical`, defanged input accepted), so a target
``hxxps://Evil[.]com/`` meets the indicator ``https://evil.com/`` and another operation's
``https://EVIL.com:443/``. People and organisations are compared by name, folded
(:func:`vaka.names.fold`: Unicode compatibility form, case folded, spaces collapsed).
Online accounts are ``service:handle`` (``Telegram: @Scam_Boss`` →
``telegram:scam_boss``). Pure Python, no Django.
"""

from vaka.intel.parsing import observables
from vaka.names import fold

NAME_KINDS = frozenset({"person", "organisation"})
ACCOUNT = "account"
# Target kinds that are observable kinds, compared against the observable index too.
OBSERVABLE_KINDS = frozenset({"domain", "ipv4", "ipv6", "url", "email", "phone", "btc", "eth"})
MAX_LENGTH = 500

def _account(text: str) -> str:
    service, colon, handle = text.partition(":")
    service, handle = fold(service).replace(" ", ""), fold(handle).lstrip("@")
    if not colon or not service or not handle:
        raise ValueError("an account is written service:handle, e.g. telegram:@name")
    return f"{service}:{handle.replace(' ', '')}"


def canonical_target(kind: str, text: str) -> tuple[str, int]:
    """The canonical value of a target of ``kind`` written as ``text``, and its index hash.

    Raises ``ValueError`` saying what is wrong with the value."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the value is empty")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"the value is longer than {MAX_LENGTH} characters")
    if "\x00" in text:
        raise ValueError("the value holds a NUL character")
    if kind in NAME_KINDS:
        value = fold(text)
    elif kind == ACCOUNT:
        value = _account(text)
    elif kind in OBSERVABLE_KINDS:
        value = observables.canonical(kind, observables.refang(text.strip()))
    else:
        raise ValueError(f"unknown target type {kind!r}")
    return value, observables.value_hash(kind, value)
