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

"""Request bodies as the handlers get them: Heat's 400s for what is not
a JSON object, a clear 400 naming the field or limit otherwise.

The HTTP round trips are in test_bad_input and test_hostile_input; these
call the functions with the inputs a client can send.
"""

import json

import webob

from heat_snapshots.api import validation
from heat_snapshots.common import exception
from heat_snapshots.tests import base


def _request(body, content_type='application/json'):
    request = webob.Request.blank('/', method='POST')
    request.content_type = content_type
    if body is not None:
        request.body = body.encode('utf-8')
    return request


class JSONBodyTestCase(base.TestCase):

    def test_json_object_whatever_the_content_type(self):
        self.assertEqual({'name': 's'}, validation.json_body(
            _request('{"name": "s"}', content_type='text/plain')))

    def test_form_data_and_non_objects_are_heats_generic_400(self):
        form = 'application/x-www-form-urlencoded'
        for request in (_request('name=s', form), _request('[1, 2]'),
                        _request('"s"')):
            error = self.assertRaises(exception.BadRequest,
                                      validation.json_body, request)
            self.assertEqual(exception.BadRequest.msg_fmt, str(error))

    def test_malformed_json_says_where(self):
        error = self.assertRaises(exception.BadRequest,
                                  validation.json_body, _request('{"a": '))
        self.assertIn('Expecting value: line 1 column 7', str(error))

    def test_no_body(self):
        self.assertRaises(exception.BadRequest, validation.json_body,
                          _request(None))
        self.assertIsNone(validation.json_body(_request(None),
                                               required=False))

    def test_a_body_too_deep_for_the_parser_is_a_400(self):
        deep = '[' * 100000 + ']' * 100000
        for check in (validation.json_body, validation.check_parsable):
            error = self.assertRaises(exception.BadRequest, check,
                                      _request('{"a": %s}' % deep))
            self.assertEqual('Invalid request body: nested deeper than 100 '
                             'levels.', str(error))

    def test_check_parsable_leaves_malformed_json_to_the_handler(self):
        self.assertIsNone(validation.check_parsable(_request('{"a": ')))
        self.assertIsNone(validation.check_parsable(
            _request('[' * 100000, content_type='text/plain')))


class CheckDocumentTestCase(base.TestCase):

    def test_depth_limit(self):
        body = {}
        inner = body
        for _ in range(validation.MAX_DEPTH - 1):
            inner['a'] = {}
            inner = inner['a']
        validation.check_document(body)
        inner['a'] = []
        error = self.assertRaises(exception.BadRequest,
                                  validation.check_document, body, 'template')
        self.assertEqual('Invalid template: nested deeper than 100 levels.',
                         str(error))

    def test_nul_and_lone_surrogates_in_values_and_keys(self):
        for document in ({'name': 'a\x00b'}, {'a\x00b': 1},
                         json.loads('{"name": "\\ud83d"}'),
                         json.loads('{"\\ud83d": ["x"]}')):
            error = self.assertRaises(exception.BadRequest,
                                      validation.check_document, document)
            self.assertRegex(str(error), r'^Invalid request body: a string ')
        validation.check_document({'name': 'caf\u00e9 \U0001f600'})

    def test_too_many_values_names_the_option(self):
        self.flags(max_document_nodes=10, group='heat_snapshots_templates')
        validation.check_document({'a': list(range(8))})
        error = self.assertRaises(exception.InvalidTemplate,
                                  validation.check_document,
                                  {'a': list(range(9)), 'b': 1}, 'template')
        self.assertIn('The template has more than 10 values '
                      '(heat_snapshots_templates.max_document_nodes).',
                      str(error))
        error = self.assertRaises(exception.Invalid,
                                  validation.check_document,
                                  {'a': list(range(9)), 'b': 1})
        self.assertNotIsInstance(error, exception.InvalidTemplate)
        self.assertIn('The request body has more than 10 values', str(error))

    def test_a_shared_value_counts_each_time(self):
        self.flags(max_document_nodes=100, group='heat_snapshots_templates')
        shared = list(range(20))
        self.assertRaises(exception.Invalid, validation.check_document,
                          {'a': [shared] * 5})


class LoadYAMLTestCase(base.TestCase):

    def test_template_text(self):
        self.assertEqual({'heat_template_version': '2018-08-31'},
                         validation.load_yaml(
                             'heat_template_version: 2018-08-31\n',
                             'Template'))

    def test_syntax_error_is_heats_message(self):
        error = self.assertRaises(exception.BadRequest, validation.load_yaml,
                                  'a: [b', 'Environment')
        self.assertRegex(str(error), r'^Environment not in valid format: ')

    def test_alias_refused_as_template_or_environment(self):
        text = 'a: &x [1]\nb: *x\n'
        error = self.assertRaises(exception.InvalidTemplate,
                                  validation.load_yaml, text, 'Template')
        self.assertIn('YAML anchors and aliases', str(error))
        error = self.assertRaises(exception.Invalid, validation.load_yaml,
                                  text, 'Environment')
        self.assertNotIsInstance(error, exception.InvalidTemplate)
        self.assertIn('The environment is not valid: YAML anchors',
                      str(error))


class ValidateTestCase(base.TestCase):

    SCHEMA = {
        'type': 'object',
        'properties': {
            'name': {'type': 'string', 'title': 'name', 'maxLength': 5,
                     'minLength': 2, 'pattern': '^[a-z]+$',
                     'x-pattern-message': 'only lower case letters.'},
            'timeout': {'type': ['integer', 'null'],
                        'x-shown-types': ['integer']},
            'tags': {'type': 'array'},
        },
    }

    def _message(self, body):
        return str(self.assertRaises(exception.BadRequest,
                                     validation.validate, body, self.SCHEMA))

    def test_messages_name_the_field(self):
        self.assertEqual('Invalid name: expected a string, got a number.',
                         self._message({'name': 3}))
        self.assertEqual('Invalid name: longer than 5 characters (6).',
                         self._message({'name': 'abcdef'}))
        self.assertEqual('Invalid name: shorter than 2 characters.',
                         self._message({'name': 'a'}))
        self.assertEqual('Invalid name: only lower case letters.',
                         self._message({'name': 'AB'}))
        self.assertEqual('Invalid timeout: expected an integer, got a '
                         'boolean.', self._message({'timeout': True}))
        self.assertEqual('Invalid tags: expected a list, got null.',
                         self._message({'tags': None}))
        self.assertEqual('Invalid request body: expected an object, got a '
                         'list.', self._message([]))

    def test_valid_body_passes(self):
        self.assertIsNone(validation.validate(
            {'name': 'ab', 'timeout': None, 'tags': []}, self.SCHEMA))
