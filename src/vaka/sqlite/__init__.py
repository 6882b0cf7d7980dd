"""The SQLite database backend (``ENGINE = "vaka.sqlite"``): see :mod:`vaka.sqlite.base`."""
