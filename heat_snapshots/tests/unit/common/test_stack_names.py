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

"""Heat's stack-name rule, the same for the API's schema and the store."""

import re

from heat_snapshots.common import stack_names
from heat_snapshots.tests import base

GOOD = ('a', 'web-1', 'A.b_c-d', 'x' * 255)
BAD = ('', '1web', '-web', 'web site', 'web\n', 'wéb', 'x' * 256, None, 5)


class StackNamesTest(base.TestCase):

    def test_heats_names(self):
        for name in GOOD:
            self.assertTrue(stack_names.is_valid(name), name)
        for name in BAD:
            self.assertFalse(stack_names.is_valid(name), repr(name))

    def test_the_schema_pattern_agrees(self):
        # JSON Schema's pattern is a search: the anchors and the refused
        # trailing newline make it a whole match, as is_valid.
        pattern = re.compile(stack_names.SCHEMA_PATTERN)
        for name in GOOD + BAD:
            if isinstance(name, str) and len(name) <= 255:
                self.assertEqual(stack_names.is_valid(name),
                                 pattern.search(name) is not None,
                                 repr(name))
