"""The crime-type taxonomy, shared by intelligence labels, products and operations.

One list of codes. On a STIX object a crime type is a label written as a machine tag,
``vaka:crime-type="ransomware"`` (the form MISP tags take, so it survives a round trip
through MISP); a product or an operation stores the bare codes. Plain labels that other
sources use for the same thing (``ransomware``, ``phishing``, MISP's
``circl:incident-classification="phishing"``…) are recognised when reading labels, so the
analytics count them too, but Vaka only ever writes the machine tag.
"""

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _

TAG_PREFIX = 'vaka:crime-type="'


class CrimeType(models.TextChoices):
    BEC = "bec", _("Business e-mail compromise")
    RANSOMWARE = "ransomware", _("Ransomware")
    PHISHING = "phishing", _("Phishing")
    ONLINE_SCAM = "online-scam", _("Online scams")
    SEXTORTION = "sextortion", _("Sextortion")
    OCSE = "ocse", _("Online child sexual exploitation")
    CRYPTO_FRAUD = "crypto-fraud", _("Cryptocurrency fraud")
    IDENTITY_THEFT = "identity-theft", _("Identity theft")
    INTRUSION = "intrusion", _("Hacking and intrusion")
    DDOS = "ddos", _("Distributed denial of service")
    MALWARE = "malware", _("Malware distribution")
    MONEY_LAUNDERING = "money-laundering", _("Money laundering and mules")


# Labels other sources use for the same crime types (compared lower-cased).
_ALIASES: dict[str, str] = {
    "bec": CrimeType.BEC,
    "business email compromise": CrimeType.BEC,
    "business e-mail compromise": CrimeType.BEC,
    "ransomware": CrimeType.RANSOMWARE,
    "phishing": CrimeType.PHISHING,
    "circl:incident-classification=\"phishing\"": CrimeType.PHISHING,
    "scam": CrimeType.ONLINE_SCAM,
    "online scam": CrimeType.ONLINE_SCAM,
    "fraud": CrimeType.ONLINE_SCAM,
    "sextortion": CrimeType.SEXTORTION,
    "csam": CrimeType.OCSE,
    "ddos": CrimeType.DDOS,
    "circl:incident-classification=\"denial-of-service\"": CrimeType.DDOS,
    "malware": CrimeType.MALWARE,
    "circl:incident-classification=\"malware\"": CrimeType.MALWARE,
    "identity theft": CrimeType.IDENTITY_THEFT,
    "intrusion": CrimeType.INTRUSION,
    "circl:incident-classification=\"system-compromise\"": CrimeType.INTRUSION,
    "cryptocurrency fraud": CrimeType.CRYPTO_FRAUD,
    "money mule": CrimeType.MONEY_LAUNDERING,
}


def tag(code: str) -> str:
    """The label that marks a STIX object with crime type ``code``; ValueError if unknown."""
    if code not in CrimeType.values:
        raise ValueError(f"“{code}” is not a crime type; use one of {', '.join(CrimeType.values)}")
    return f'{TAG_PREFIX}{code}"'


def code_of(label: str) -> str | None:
    """The crime type a label names (the machine tag or a known alias), or None."""
    if label.startswith(TAG_PREFIX) and label.endswith('"'):
        code = label[len(TAG_PREFIX):-1]
        return code if code in CrimeType.values else None
    return _ALIASES.get(label.strip().lower())


def codes_in(labels: Iterable[str]) -> list[str]:
    """The crime types named by ``labels``, each once, in taxonomy order."""
    found = {code for code in map(code_of, labels) if code}
    return [code for code in CrimeType.values if code in found]


def label_of(code: str) -> str:
    """How a crime type reads in the current language."""
    return str(dict(CrimeType.choices).get(code, code))
