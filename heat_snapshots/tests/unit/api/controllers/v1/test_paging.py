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

"""The query of a page of snapshots, one rule for both lists."""

import webob.multidict

from heat_snapshots.api.controllers.v1 import paging
from heat_snapshots.common import exception
from heat_snapshots.tests import base


def query(*pairs):
    return webob.multidict.MultiDict(pairs)


class SnapshotPageTest(base.TestCase):

    def test_heat_list_has_none_of_the_parameters(self):
        self.assertFalse(paging.requested(query()))
        self.assertFalse(paging.requested(query(('other', 'x'))))
        self.assertTrue(paging.requested(query(('limit', '1'))))

    def test_only_the_keys_given(self):
        self.assertEqual({'limit': 2, 'marker': 'm'}, paging.snapshot_page(
            query(('limit', '2'), ('marker', 'm'))))

    def test_repeated_and_comma_values_are_one_list(self):
        page = paging.snapshot_page(query(
            ('sort_keys', 'name,status'), ('sort_keys', 'name'),
            ('status', 'FAILED, COMPLETE'), ('status', 'IN_PROGRESS'),
            ('name', 'a,b'), ('name', 'c'), ('sort_dir', 'desc')))
        self.assertEqual({'sort_keys': ['name', 'status'],
                          'sort_dir': 'desc',
                          'filters': {'status': ['FAILED', 'COMPLETE',
                                                 'IN_PROGRESS'],
                                      # A name may hold a comma.
                                      'name': ['a,b', 'c']}}, page)

    def test_bad_values_are_heat_400s(self):
        for pairs, words in (
                ((('sort_keys', 'data'),), "Invalid sort key(s): data"),
                ((('sort_keys', ''),), "Invalid sort key(s): ''"),
                ((('sort_dir', 'up'),), "Unknown sort direction 'up'"),
                ((('status', 'DONE'),), 'Invalid status filter: DONE'),
                ((('status', ','),), "Invalid status filter: ''"),
                ((('limit', 'x'),), 'limit')):
            error = self.assertRaises(exception.BadRequest,
                                      paging.snapshot_page, query(*pairs))
            self.assertIn(words, str(error))
