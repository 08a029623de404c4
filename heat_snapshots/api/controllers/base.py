"""The base of the REST controllers."""

from pecan import rest
from pecan import util


class RestController(rest.RestController):
    """pecan's RestController that routes only to what it declares.

    pecan resolves a path segment with getattr(); a stack or snapshot id
    such as "__class__" or "identity" must not reach an attribute. Only
    exposed handlers and the sub-controllers named in ``_children`` are
    path segments.
    """

    _children = ()

    def _lookup_child(self, remainder):
        if remainder in self._children:
            return getattr(self, remainder)
        if not isinstance(remainder, str) or remainder.startswith('_'):
            return None
        found = getattr(self, remainder, None)
        return found if util.iscontroller(found) else None
