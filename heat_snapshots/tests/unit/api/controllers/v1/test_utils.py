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

"""The v1 controllers' helpers: identities, links, Heat's integer rules."""

import types

import fixtures

from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.common import exception
from heat_snapshots.tests import base

IDENTITY = utils.stack_identity('p1', 'web', 'sid')


class IntArgTest(base.TestCase):

    def test_numbers_and_numeric_strings(self):
        self.assertEqual(5, utils.int_arg('limit', '5'))
        self.assertEqual(0, utils.int_arg('limit', 0))

    def test_heats_messages(self):
        for value, message in (
                ('x', "Only integer is acceptable by 'limit'."),
                ('-1', "Value '-1' is invalid for 'limit' which only "
                       "accepts non-negative integer."),
                (2 ** 31, "Value '2147483648' is invalid for 'limit': "
                          "larger than 2147483647.")):
            error = self.assertRaises(exception.BadRequest, utils.int_arg,
                                      'limit', value)
            self.assertEqual(message, error.message)
            self.assertEqual(400, error.code)

    def test_clamped_instead_of_refused(self):
        self.assertEqual(2 ** 31 - 1,
                         utils.int_arg('limit', 10 ** 12, clamp=True))


class LinksTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.request = types.SimpleNamespace(
            application_url='http://api:8004',
            context=types.SimpleNamespace(is_admin=False))
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.api.controllers.v1.utils.pecan.request',
            self.request))

    def test_stack_url_quotes_each_part(self):
        identity = utils.stack_identity('p1', 'a b/c', 'sid')
        self.assertEqual('http://api:8004/v1/p1/stacks/a%20b%2Fc/sid/'
                         'resources/r%2F1',
                         utils.stack_url(identity, 'resources', 'r/1'))

    def test_stack_without_internal_keys_nor_project_for_members(self):
        shown = utils.format_stack({'id': 'sid', 'project': 'p1',
                                    'stack_identity': IDENTITY})
        self.assertEqual({'id': 'sid', 'links': [{
            'href': 'http://api:8004/v1/p1/stacks/web/sid',
            'rel': 'self'}]}, shown)
        self.request.context.is_admin = True
        self.assertEqual('p1', utils.format_stack({
            'id': 'sid', 'project': 'p1',
            'stack_identity': IDENTITY})['project'])

    def test_resource_links_to_itself_and_its_stack(self):
        shown = utils.format_resource({'resource_name': 'server',
                                       'stack_identity': IDENTITY})
        self.assertEqual(
            [{'href': 'http://api:8004/v1/p1/stacks/web/sid/resources/'
                      'server', 'rel': 'self'},
             {'href': 'http://api:8004/v1/p1/stacks/web/sid',
              'rel': 'stack'}], shown['links'])
        self.assertNotIn('stack_identity', shown)
