"""Names compared across spellings: the one way Vaka folds a name before comparing it — an
operation's target (a person, an organisation, an account), a participant found twice, a
short answer to a quiz. Pure Python, no Django."""

import unicodedata


def fold(text: str, *, accents: bool = True) -> str:
    """``text`` as compared: Unicode compatibility form, case folded, every run of white
    space one space, none at either end. ``accents=False`` also drops accents and other
    combining marks (``Mērē Vūla`` = ``mere vula``), for names typed by many hands."""
    if accents:
        form = unicodedata.normalize("NFKC", text)
    else:
        form = "".join(c for c in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(c))
    return " ".join(form.casefold().split())
