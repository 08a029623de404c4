# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The base of the REST controllers."""

from http import client as http_client

import pecan
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

    def _route_to_child(self, remainder):
        """The end of a ``_lookup`` of a controller with children.

        pecan's RestController calls ``_lookup`` when the handler it picked
        takes fewer arguments than the path has segments: PATCH
        /stacks/{name}/{id}/snapshots picks the stack's own patch(). The
        path then belongs to a child; one that names no child is unknown.
        An empty remainder is pecan asking again after a 405: keep that.
        """
        if not remainder:
            return None
        if remainder[0] not in self._children:
            pecan.abort(http_client.NOT_FOUND)
        return getattr(self, remainder[0]), remainder[1:]
