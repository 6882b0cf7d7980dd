"""CSV cells a spreadsheet will not run as formulas (CSV injection).

Pure Python, shared by every CSV Vaka writes (exports, chart data).
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
