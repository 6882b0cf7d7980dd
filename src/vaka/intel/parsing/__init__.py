"""Pure parsers and converters for incoming intelligence: no Django imports here."""
