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

from heat_snapshots.localstack import functions
from heat_snapshots.tests import base


class FakeResolver(functions.Resolver):

    def __init__(self, parameters=None, resources=None, attributes=None):
        self.parameters = parameters or {}
        self.resources = resources or {}
        self.attributes = attributes or {}

    def get_param(self, name):
        return self.parameters[name]

    def get_resource(self, name):
        return self.resources.get(name)

    def get_attr(self, name, attribute):
        return self.attributes.get(name, {}).get(attribute)

    def get_file(self, name):
        return 'content of %s' % name


class ResolveTest(base.TestCase):

    def resolve(self, snippet, **kwargs):
        return functions.resolve(snippet, FakeResolver(**kwargs))

    def test_plain_data_is_unchanged(self):
        data = {'a': [1, {'b': 'c'}], 'get_param': 'x', 'other': 2}
        self.assertEqual(data, self.resolve(data))

    def test_get_param_with_path(self):
        parameters = {'p': {'list': ['x', {'deep': 'y'}]}}
        self.assertEqual('y', self.resolve(
            {'get_param': ['p', 'list', 1, 'deep']}, parameters=parameters))
        self.assertIsNone(self.resolve({'get_param': ['p', 'nothing']},
                                       parameters=parameters))

    def test_get_resource_and_get_attr(self):
        snippet = {'id': {'get_resource': 'r'},
                   'v': {'get_attr': ['r', 'value', 'k']}}
        self.assertEqual(
            {'id': 'uuid', 'v': 'deep'},
            self.resolve(snippet, resources={'r': 'uuid'},
                         attributes={'r': {'value': {'k': 'deep'}}}))

    def test_str_replace_replaces_longest_keys_first_once(self):
        snippet = {'str_replace': {
            'template': 'host:port name',
            'params': {'host': 'example', 'host:port': '$name',
                       'name': 7}}}
        self.assertEqual('$name 7', self.resolve(snippet))

    def test_str_replace_writes_maps_as_json(self):
        snippet = {'str_replace': {'template': 'v=X',
                                   'params': {'X': {'get_param': 'p'}}}}
        self.assertEqual('v={"a": 1}',
                         self.resolve(snippet, parameters={'p': {'a': 1}}))

    def test_list_join(self):
        snippet = {'list_join': [', ', ['a', 'b'], {'get_param': 'l'}]}
        self.assertEqual('a, b, c, 3',
                         self.resolve(snippet, parameters={'l': ['c', 3]}))

    def test_list_join_of_a_string_is_an_error(self):
        self.assertRaises(ValueError, self.resolve,
                          {'list_join': [',', 'abc']})

    def test_dependencies(self):
        snippet = {'a': [{'get_resource': 'x'}],
                   'b': {'str_replace': {'template': 't', 'params': {
                       'k': {'get_attr': ['y', 'v']}}}},
                   'c': {'get_param': 'p'}}
        self.assertEqual({'x', 'y'}, functions.dependencies(snippet))
