"""Visibility channels of the exports read paths, for test_visibility_property.

Each channel is called as ``channel(user, visible, notes)``: ``user`` (None: anonymous),
``visible``: pks of the notes the reference says the user may see; the STIX objects
(``StixObject.objects.order_by("pk")``) mirror the notes' markings in the same order.
"""

CHANNELS: list = []
