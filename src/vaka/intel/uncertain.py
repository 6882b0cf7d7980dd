"""What each reason for an uncertain extracted value means, in the user's language.

The extractor (``parsing.certainty``) gives a reason code; the review page shows this text
beside the unticked value, and the API returns both the code and the text.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vaka.intel.parsing import certainty

EXPLANATIONS: dict[str, Promise] = {
    certainty.VERSION: _("The words around it say it is a version or build number, "
                         "not an address."),
    certainty.OID: _("The words around it say it is an object identifier (OID), "
                     "not an address."),
    certainty.SECTION: _("It looks like a section, table or item number, not an address."),
    certainty.LINE_BREAK_PART: _("It is next to a line break and may be only part of a "
                                 "value cut by it."),
    certainty.JOINED: _("It only exists if two lines of the text are joined: check how "
                        "the original writes it."),
}


def explanation(reason: str) -> str:
    """The sentence that explains ``reason`` (empty for a certain value)."""
    text = EXPLANATIONS.get(reason)
    return str(text) if text is not None else ""
