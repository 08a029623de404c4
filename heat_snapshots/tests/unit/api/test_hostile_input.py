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

"""Hostile input at the API: Heat's 400 bodies naming the limit."""

import json

from heat_snapshots.tests.unit.api import base
from heat_snapshots.tests.unit.localstack import base as local_base


class HostileTemplateTest(base.APITestCase):

    def create(self, status=400, **body):
        body.setdefault('stack_name', 'hostile')
        body.setdefault('template', base.SIMPLE)
        return self.post_json(self.stacks_url(), body, status=status)

    def test_alias_bomb_in_a_yaml_template(self):
        body = self.assertFault(
            self.create(template=local_base.BILLION_LAUGHS), 400,
            'StackValidationFailed')
        self.assertIn('YAML anchors and aliases ("&a", "*a") are not '
                      'allowed', body['error']['message'])

    def test_alias_in_a_yaml_environment(self):
        body = self.assertFault(
            self.create(environment='parameters: &p {}\n'
                                    'parameter_defaults: *p\n'),
            400, 'Invalid')
        self.assertIn('The environment is not valid: YAML anchors and '
                      'aliases', body['error']['message'])

    def test_template_with_too_many_values(self):
        self.flags(max_document_nodes=200, group=local_base.TEMPLATES_GROUP)
        template = dict(base.SIMPLE, description=list(range(300)))
        body = self.assertFault(self.create(template=template), 400,
                                'Invalid')
        self.assertIn('more than 200 values (heat_snapshots_templates.'
                      'max_document_nodes)', body['error']['message'])

    def test_template_text_over_its_size(self):
        self.flags(max_template_size=1000, group=local_base.TEMPLATES_GROUP)
        text = 'heat_template_version: 2018-08-31\n#%s\n' % ('x' * 1000)
        body = self.assertFault(self.create(template=text), 400,
                                'StackValidationFailed')
        self.assertIn('heat_snapshots_templates.max_template_size',
                      body['error']['message'])

    def test_deep_json_parameter(self):
        template = dict(base.SIMPLE, parameters={'j': {'type': 'json'}})
        body = self.assertFault(
            self.create(template=template,
                        parameters={'j': '[' * 50000 + ']' * 50000}),
            400, 'StackValidationFailed')
        self.assertIn("Parameter 'j' is invalid", body['error']['message'])
        self.assertIn('max_document_depth', body['error']['message'])

    def test_stack_name_with_a_trailing_newline(self):
        self.assertFault(self.create(stack_name='name\n'), 400,
                         'HTTPBadRequest')
        self.get(self.stacks_url() + '/name', status=404)


class SnapshotNameTest(base.APITestCase):

    def test_numeric_name_is_checked_as_the_stored_string(self):
        stack = self.create_stack()
        response = self.request(
            'POST', self.snapshots_url(stack), status=400,
            body=('{"name": %d}' % 10 ** 300).encode(),
            content_type='application/json')
        self.assertFault(response, 400, 'HTTPBadRequest',
                         'Invalid snapshot name: longer than 255 characters '
                         '(301).')
        body = self.post_json(self.snapshots_url(stack),
                              {'name': 10 ** 254}).json
        self.assertEqual(json.dumps(10 ** 254), body['name'])
