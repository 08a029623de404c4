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

"""The controllers' base: a path segment reaches only what a controller
declares, whatever attribute name a stack or snapshot id spells.

The HTTP answers for the real controllers are in v1/test_stacks; these
pin the rule itself on a controller of its own.
"""

import pecan
import webob.exc

from heat_snapshots.api.controllers import base as controllers
from heat_snapshots.tests import base


class _Events(controllers.RestController):

    @pecan.expose('json')
    def get_all(self):
        return {}


class _Resource(controllers.RestController):
    _children = ('events',)

    events = _Events()
    identity = 'a plain attribute'

    @pecan.expose('json')
    def get(self):
        return {}

    @pecan.expose('json')
    def history(self):
        return {}

    def _private(self):
        return {}


class LookupChildTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.controller = _Resource()

    def test_declared_children_and_exposed_handlers_are_routes(self):
        self.assertIs(self.controller.events,
                      self.controller._lookup_child('events'))
        self.assertEqual(self.controller.history,
                         self.controller._lookup_child('history'))

    def test_ids_that_spell_attributes_reach_nothing(self):
        for segment in ('__class__', '__init__', '_private', 'identity',
                        'nothing'):
            self.assertIsNone(self.controller._lookup_child(segment),
                              segment)


class RouteToChildTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.controller = _Resource()

    def test_the_path_goes_to_the_child_it_names(self):
        self.assertEqual(
            (self.controller.events, ['e1']),
            self.controller._route_to_child(['events', 'e1']))

    def test_a_path_naming_no_child_is_404(self):
        for remainder in (['history'], ['identity'], ['__class__', 'x']):
            self.assertRaises(webob.exc.HTTPNotFound,
                              self.controller._route_to_child, remainder)

    def test_an_empty_path_leaves_pecan_its_405(self):
        self.assertIsNone(self.controller._route_to_child([]))
