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

"""The one YAML loader and the one stack name rule, as every caller
sees them.
"""

import jsonschema

from heat_snapshots.api.schemas.v1 import stacks as stack_schema
from heat_snapshots.common import stack_names
from heat_snapshots.common import template_format
from heat_snapshots.engine import snapshots
from heat_snapshots.tests import base

GROUP = template_format.GROUP


class LoadTest(base.TestCase):

    def test_yaml_and_json_as_heat_reads_them(self):
        self.assertEqual({'d': '2013-05-23', 'n': [1, 'a']},
                         template_format.load('d: 2013-05-23\nn: [1, a]\n'))
        self.assertEqual({'a': {'b': None}},
                         template_format.load('{"a": {"b": null}}'))

    def test_aliases_are_refused_before_expansion(self):
        error = self.assertRaises(template_format.Refused,
                                  template_format.load,
                                  'a: &x [1]\nb: *x\n', 'environment')
        self.assertEqual('The environment is refused: YAML anchors and '
                         'aliases ("&x", "*x") are not allowed (line 1).',
                         error.message)
        self.assertEqual('YAML anchors and aliases ("&x", "*x") are not '
                         'allowed (line 1)', error.reason)

    def test_each_limit_is_named(self):
        self.flags(max_template_size=50, max_document_nodes=10,
                   max_document_depth=3, group=GROUP)
        for text, option in (('x: "%s"' % ('y' * 60), 'max_template_size'),
                             ('[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]',
                              'max_document_nodes'),
                             ('[[[[1]]]]', 'max_document_depth')):
            error = self.assertRaises(template_format.Refused,
                                      template_format.load, text)
            self.assertIn('(%s.%s)' % (GROUP, option), error.message)

    def test_syntax_error_is_malformed(self):
        self.assertRaises(template_format.Malformed, template_format.load,
                          'a: [b')

    def test_a_snapshot_reads_no_alias_of_a_nested_template(self):
        # The walk's nested templates (files) go through the same loader.
        self.assertIsNone(snapshots._load_template('a: &x [1]\nb: *x\n'))
        self.assertEqual({'resources': {}},
                         snapshots._load_template('resources: {}'))


class StackNameTest(base.TestCase):

    NAMES = ('s', 'a1_b-c.d', 'x' * 255, 'x' * 256, '1bad', '', 'name\n',
             'with space', '_a', 'é', 'a\nb')

    def test_the_api_schema_and_the_store_agree(self):
        schema = stack_schema.create['properties']['stack_name']
        for name in self.NAMES:
            valid = stack_names.is_valid(name)
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(
                name))
            self.assertEqual(valid, not errors, repr(name))
        self.assertTrue(stack_names.is_valid('x' * 255))
        self.assertFalse(stack_names.is_valid('name\n'))
        self.assertFalse(stack_names.is_valid(None))
