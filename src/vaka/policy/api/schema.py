"""The markings' input choice sets, named for the OpenAPI schema.

Records are read with labelled choices (``TLP:AMBER``, from ``policy.markings``) and marked
through inputs that accept the bare codes (``policy.inputs``), so each marking field has
two choice sets of the same values. Without a name for each, drf-spectacular invents
hashed ones (``Tlp547Enum``) and ``vaka check --deploy`` warns: the ``ENUM_NAME_OVERRIDES``
of ``SPECTACULAR_SETTINGS`` name the labelled sets from ``policy.markings`` and these.
"""

from vaka.policy.inputs import BY_NAME

TLP_CODES = BY_NAME["tlp"].values
PAP_CODES = BY_NAME["pap"].values
DISTRIBUTION_CODES = BY_NAME["distribution"].values
GRADING_SCHEME_CODES = BY_NAME["grading_scheme"].values
