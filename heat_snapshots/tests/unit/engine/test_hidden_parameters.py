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

"""Hidden parameters, decided and masked as Heat does."""

import copy
import json
from unittest import mock

from heat_snapshots.engine import hidden_parameters as hidden
from heat_snapshots.tests import base

HOT = {'heat_template_version': '2018-08-31', 'parameters': {
    'password': {'type': 'string', 'hidden': True},
    'flavor': {'type': 'string'},
    'shown_here': {'type': 'string', 'hidden': False}}}
NESTED = '''
heat_template_version: 2018-08-31
parameters:
  nested_key: {type: string, hidden: true}
  shown_here: {type: string, hidden: true}
'''
CFN = {'AWSTemplateFormatVersion': '2010-09-09', 'Parameters': {
    'DBPassword': {'Type': 'String', 'NoEcho': 'true'},
    'KeyName': {'Type': 'String', 'NoEcho': 'false'}}}

ENVIRONMENT = {
    'parameters': {'password': 's3cret', 'flavor': 'small',
                   'shown_here': 'v'},
    'parameter_defaults': {'nested_key': 'k3y', 'other': 1},
    'resource_registry': {'nested.yaml': 'nested.yaml'}}


class HiddenNamesTest(base.TestCase):

    def test_hot_cfn_and_templates_among_the_files(self):
        self.assertEqual({'password'}, hidden.hidden_names(
            ['password', 'flavor', 'unknown'], HOT))
        self.assertEqual({'DBPassword'}, hidden.hidden_names(
            ['DBPassword', 'KeyName'], CFN))
        self.assertEqual({'password', 'nested_key'}, hidden.hidden_names(
            ['password', 'nested_key'], HOT,
            {'nested.yaml': NESTED, 'script.sh': '#!/bin/sh\n: [\n'}))

    def test_the_stacks_own_template_decides_first(self):
        # As Heat's all_param_schemata: the parent's schema wins.
        self.assertEqual(set(), hidden.hidden_names(
            ['shown_here'], HOT, {'nested.yaml': NESTED}))

    def test_template_as_text(self):
        self.assertEqual({'nested_key'},
                         hidden.hidden_names(['nested_key'], NESTED))


class MaskTest(base.TestCase):

    def test_environment_is_masked_in_a_copy(self):
        stored = copy.deepcopy(ENVIRONMENT)
        masked = hidden.mask_environment(stored, HOT,
                                         {'nested.yaml': NESTED})
        self.assertEqual({'password': '******', 'flavor': 'small',
                          'shown_here': 'v'}, masked['parameters'])
        self.assertEqual({'nested_key': '******', 'other': 1},
                         masked['parameter_defaults'])
        self.assertEqual(ENVIRONMENT, stored)

    def test_nothing_hidden_is_the_same_object(self):
        environment = {'parameters': {'flavor': 'small'}}
        self.assertIs(environment,
                      hidden.mask_environment(environment, HOT))

    def test_snapshot_data(self):
        data = {'name': 'web', 'template': HOT,
                'files': {'nested.yaml': NESTED},
                'environment': copy.deepcopy(ENVIRONMENT),
                'resources': {'r': {'resource_data': {'k': 'v'}}}}
        shown = hidden.mask_stack_data(data)
        self.assertEqual('******', shown['environment']['parameters'][
            'password'])
        self.assertEqual('******', shown['environment'][
            'parameter_defaults']['nested_key'])
        self.assertEqual(data['resources'], shown['resources'])
        self.assertEqual('s3cret', data['environment']['parameters'][
            'password'])
        for odd in (None, {}, {'environment': None}, 'text'):
            self.assertEqual(odd, hidden.mask_stack_data(odd))


class MaskedNamesTest(base.TestCase):

    def test_only_hidden_parameters_holding_the_mask(self):
        environment = {
            'parameters': {'password': '******', 'flavor': '******'},
            'parameter_defaults': {'nested_key': '******',
                                   'shown_here': '******'}}
        self.assertEqual({'parameters': ['password'],
                          'parameter_defaults': ['nested_key']},
                         hidden.masked_names(environment, HOT,
                                             {'nested.yaml': NESTED}))
        self.assertEqual({}, hidden.masked_names(ENVIRONMENT, HOT))


class MaskJSONTest(base.TestCase):
    """Stored JSON text: passed through unless a value is masked."""

    def test_text_without_a_hidden_parameter_is_passed_through(self):
        text = json.dumps({'template': {'parameters': {
            'p': {'type': 'string'}}}, 'environment': {
            'parameters': {'p': 'visible'}}})
        self.assertIs(text, hidden.mask_stack_data_json(text))
        self.assertEqual('null', hidden.mask_stack_data_json(None))

    def test_a_hidden_parameter_is_masked(self):
        data = {'template': {'parameters': {
            'p': {'type': 'string', 'hidden': True}}},
            'environment': {'parameters': {'p': 's3cret', 'q': 'é'}}}
        masked = hidden.mask_stack_data_json(json.dumps(data))
        self.assertEqual(json.dumps(hidden.mask_stack_data(data)), masked)
        self.assertNotIn('s3cret', masked)

    def test_hidden_spelled_with_a_yaml_escape_in_a_file_is_masked(self):
        data = {'template': {}, 'files': {
            'lib.yaml': 'parameters:\n  p:\n    "hidd\\x65n": true\n'},
            'environment': {'parameter_defaults': {'p': 's3cret'}}}
        masked = hidden.mask_stack_data_json(json.dumps(data))
        self.assertNotIn('s3cret', masked)

    def test_json_escapes_alone_are_passed_through_undecoded(self):
        # JSON escapes a file's quotes and line ends with one backslash
        # each: they spell no letter, so the text is not even decoded.
        text = json.dumps({'template': {}, 'files': {
            'lib.yaml': 'description: "a quoted line"\n'},
            'environment': {'parameters': {'p': 'visible'}}})
        self.assertIn('\\"', text)
        with mock.patch.object(hidden.json, 'loads',
                               side_effect=AssertionError('decoded')):
            self.assertIs(text, hidden.mask_stack_data_json(text))

    def test_a_declared_but_unset_hidden_parameter_changes_nothing(self):
        text = json.dumps({'template': {'parameters': {
            'p': {'type': 'string', 'hidden': True}}},
            'environment': {'parameters': {}}})
        self.assertIs(text, hidden.mask_stack_data_json(text))
