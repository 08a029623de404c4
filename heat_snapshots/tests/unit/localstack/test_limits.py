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

"""Hostile templates: the loader, the limits and the pattern engine.

What a caller notices: a 400 (InvalidTemplate, InvalidParameter or
Invalid) whose message names the option that set the limit, and nothing
stored; templates within the limits behave as before.
"""

import json

import fixtures
from oslo_db import exception as db_exc

from heat_snapshots.common import exception
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.localstack import functions
from heat_snapshots.localstack import limits
from heat_snapshots.localstack import template as tmpl
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.localstack import base as local_base

GROUP = local_base.TEMPLATES_GROUP
BILLION_LAUGHS = local_base.BILLION_LAUGHS


def hot(resources=None, **sections):
    return local_base.hot(resources, **sections)


def nested_str_replace(levels, width=8):
    """Each level replaces "x" with ``width`` copies of the level below."""
    snippet = 'x' * width
    for _ in range(levels):
        snippet = {'str_replace': {'template': 'x' * width,
                                   'params': {'x': snippet}}}
    return snippet


class LoaderTest(base.TestCase):

    def test_alias_bomb_is_refused_before_expansion(self):
        error = self.assertRaises(exception.InvalidTemplate, tmpl.parse,
                                  BILLION_LAUGHS)
        self.assertEqual(400, error.code)
        self.assertEqual('StackValidationFailed', error.type_name)
        self.assertIn('YAML anchors and aliases ("&a", "*a") are not '
                      'allowed (line 3)', str(error))

    def test_an_anchor_alone_is_refused(self):
        error = self.assertRaises(
            exception.InvalidTemplate, tmpl.parse,
            'heat_template_version: 2018-08-31\n'
            'resources: &r {}\n')
        self.assertIn('anchors and aliases', str(error))

    def test_merge_key_needs_an_alias_and_is_refused(self):
        self.assertRaises(
            exception.InvalidTemplate, tmpl.parse,
            'heat_template_version: 2018-08-31\n'
            'parameters:\n  a: &base {type: string}\n  b: {<<: *base}\n')

    def test_plain_yaml_and_dates_still_load(self):
        parsed = tmpl.parse('heat_template_version: 2013-05-23\n'
                            'resources: {r: {type: OS::Heat::None}}\n')
        self.assertEqual('2013-05-23', parsed['heat_template_version'])
        self.assertEqual({'r': {'type': 'OS::Heat::None'}},
                         parsed['resources'])

    def test_text_over_the_size_limit_is_refused_unparsed(self):
        self.flags(max_template_size=100, group=GROUP)
        error = self.assertRaises(
            exception.InvalidTemplate, tmpl.parse,
            'heat_template_version: 2018-08-31\n#' + 'x' * 100)
        self.assertIn('more than 100 (heat_snapshots_templates.'
                      'max_template_size)', str(error))

    def test_too_many_values_while_composing(self):
        self.flags(max_document_nodes=50, group=GROUP)
        text = 'heat_template_version: 2018-08-31\ndescription: [%s]\n' % (
            ', '.join(['a'] * 60))
        error = self.assertRaises(exception.InvalidTemplate, tmpl.parse,
                                  text)
        self.assertIn('more than 50 values (heat_snapshots_templates.'
                      'max_document_nodes)', str(error))

    def test_too_deep_while_composing(self):
        text = ('heat_template_version: 2018-08-31\ndescription: %s%s\n'
                % ('[' * 5000, ']' * 5000))
        error = self.assertRaises(exception.InvalidTemplate, tmpl.parse,
                                  text)
        self.assertIn('nested deeper than 100 levels (heat_snapshots_'
                      'templates.max_document_depth)', str(error))

    def test_environment_with_an_alias_is_invalid_input(self):
        error = self.assertRaises(
            exception.Invalid, tmpl.normalise_environment,
            'parameters: &p {a: 1}\nparameter_defaults: *p\n')
        self.assertIn('The environment is not valid', str(error))
        self.assertIn('anchors and aliases', str(error))


class DocumentTest(base.TestCase):

    def test_a_shared_value_counts_each_time_it_appears(self):
        # What PyYAML's own safe_load makes of an alias bomb: one list,
        # referenced from everywhere. Cheap in memory, huge once stored.
        self.flags(max_document_nodes=1000, group=GROUP)
        level = ['lol'] * 9
        for _ in range(8):
            level = [level] * 9
        template = hot(description=level)
        error = self.assertRaises(exception.InvalidTemplate, tmpl.Template,
                                  template)
        self.assertIn('more than 1000 values', str(error))

    def test_size_of_a_parsed_template(self):
        self.flags(max_template_size=1000, group=GROUP)
        error = self.assertRaises(exception.InvalidTemplate, tmpl.Template,
                                  hot(description='d' * 2000))
        self.assertIn('larger than 1000 bytes (heat_snapshots_templates.'
                      'max_template_size)', str(error))

    def test_files_over_their_total_size(self):
        self.flags(max_files_size=100, group=GROUP)
        error = self.assertRaises(
            exception.Invalid, tmpl.Template, hot(),
            files={'a': 'x' * 60, 'b': 'y' * 60})
        self.assertNotIsInstance(error, exception.InvalidTemplate)
        self.assertIn('larger than 100 bytes (heat_snapshots_templates.'
                      'max_files_size)', str(error))

    def test_files_within_the_limit(self):
        parsed = tmpl.Template(hot(), files={'a': 'x' * 60})
        self.assertEqual({'a': 'x' * 60}, parsed.files)

    def test_environment_parameters_are_counted(self):
        self.flags(max_document_nodes=100, group=GROUP)
        error = self.assertRaises(exception.Invalid,
                                  tmpl.normalise_environment, {},
                                  {'p': list(range(200))})
        self.assertIn('max_document_nodes', str(error))


class JsonParameterTest(base.TestCase):

    def template(self):
        return tmpl.Template(hot(parameters={'j': {'type': 'json'}}),
                             environment=tmpl.normalise_environment(
                                 {}, {'j': self.value}))

    def test_deeply_nested_json_is_an_invalid_parameter(self):
        self.value = '[' * 100000 + ']' * 100000
        error = self.assertRaises(exception.InvalidParameter,
                                  self.template().parameters)
        self.assertEqual(400, error.code)
        self.assertIn("Parameter 'j' is invalid", str(error))
        self.assertIn('max_document_depth', str(error))

    def test_json_nested_past_the_depth_limit(self):
        self.value = '[' * 150 + ']' * 150
        error = self.assertRaises(exception.InvalidParameter,
                                  self.template().parameters)
        self.assertIn('nested deeper than 100 levels', str(error))

    def test_json_with_too_many_values(self):
        self.flags(max_document_nodes=100, group=GROUP)
        self.value = json.dumps(list(range(200)))
        error = self.assertRaises(exception.InvalidParameter,
                                  self.template().parameters)
        self.assertIn('max_document_nodes', str(error))

    def test_json_within_the_limits(self):
        self.value = json.dumps({'a': [1, 2, {'b': 'c'}]})
        self.assertEqual({'a': [1, 2, {'b': 'c'}]},
                         self.template().parameters()['j'])


class AllowedPatternTest(base.TestCase):

    def parameters(self, pattern, value):
        template = tmpl.Template(
            hot(parameters={'p': {
                'type': 'string',
                'constraints': [{'allowed_pattern': pattern}]}}),
            environment=tmpl.normalise_environment({}, {'p': value}))
        return template.parameters()

    def test_catastrophic_pattern_answers(self):
        # Python's re takes minutes on this; RE2 answers at once.
        error = self.assertRaises(exception.InvalidParameter,
                                  self.parameters, '(a+)+$',
                                  'a' * 5000 + '!')
        self.assertIn('does not match pattern "(a+)+$"', str(error))
        self.assertIn('aaa...', str(error))

    def test_whole_value_must_match(self):
        self.assertEqual('abc', self.parameters('[a-z]+', 'abc')['p'])
        self.assertRaises(exception.InvalidParameter, self.parameters,
                          '[a-z]+', 'abc1')
        self.assertRaises(exception.InvalidParameter, self.parameters,
                          '[a-z]+', 'abc\n')
        self.assertEqual('ab', self.parameters('a|ab', 'ab')['p'])

    def test_unsupported_pattern_names_the_parameter(self):
        for pattern in (r'(a)\1', '(?=a)a', '(', 42):
            error = self.assertRaises(exception.InvalidTemplate,
                                      self.parameters, pattern, 'a')
            self.assertIn('Invalid allowed_pattern for parameter p',
                          str(error))

    def test_pattern_over_its_length(self):
        self.flags(max_pattern_length=10, group=GROUP)
        error = self.assertRaises(exception.InvalidTemplate,
                                  self.parameters, 'a' * 11, 'a')
        self.assertIn('longer than 10 characters (heat_snapshots_'
                      'templates.max_pattern_length)', str(error))

    def test_value_over_its_length(self):
        self.flags(max_pattern_value_length=10, group=GROUP)
        error = self.assertRaises(exception.InvalidParameter,
                                  self.parameters, 'a*', 'a' * 11)
        self.assertIn("Parameter 'p' is invalid", str(error))
        self.assertIn('max_pattern_value_length', str(error))

    def test_pattern_over_its_memory(self):
        self.flags(max_pattern_memory=65536, group=GROUP)
        error = self.assertRaises(exception.InvalidTemplate,
                                  self.parameters, '((a{1,100}){1,100})'
                                  '{1,100}', 'a')
        self.assertIn('Invalid allowed_pattern for parameter p',
                      str(error))

    def test_pattern_wrapper_has_no_python_re(self):
        self.assertTrue(limits.pattern_matches('(x+x+)+y', 'xxy'))
        self.assertFalse(limits.pattern_matches('(x+x+)+y', 'x' * 10000))


class _Values(functions.Resolver):

    def __init__(self, **params):
        self.params = params

    def get_param(self, name):
        return self.params.get(name)

    def get_file(self, name):
        return 'file:' + name


class FunctionOutputTest(base.TestCase):

    def test_nested_str_replace_stops_at_the_value_cap(self):
        self.flags(max_function_output_size=100000, group=GROUP)
        error = self.assertRaises(exception.InvalidTemplate,
                                  functions.resolve,
                                  nested_str_replace(10), _Values())
        self.assertIn('The output of "str_replace" is larger than 100000 '
                      'bytes (heat_snapshots_templates.max_function_output_'
                      'size)', str(error))

    def test_str_replace_with_many_keys_stops_at_the_cap(self):
        self.flags(max_function_output_size=1000, group=GROUP)
        snippet = {'str_replace': {'template': 'ab' * 300,
                                   'params': {'a': 'x' * 10, 'b': 'y'}}}
        error = self.assertRaises(exception.InvalidTemplate,
                                  functions.resolve, snippet, _Values())
        self.assertIn('"str_replace"', str(error))

    def test_str_replace_within_the_cap_is_heats(self):
        snippet = {'str_replace': {'template': 'a-ab-b',
                                   'params': {'a': 'b', 'ab': 'X',
                                              'b': {'k': 1}}}}
        self.assertEqual('b-X-{"k": 1}',
                         functions.resolve(snippet, _Values()))

    def test_nested_list_join_stops_at_the_value_cap(self):
        self.flags(max_function_output_size=100000, group=GROUP)
        snippet = 'xxxxxxxx'
        for _ in range(10):
            snippet = {'list_join': ['', [snippet] * 8]}
        error = self.assertRaises(exception.InvalidTemplate,
                                  functions.resolve, snippet, _Values())
        self.assertIn('The output of "list_join"', str(error))

    def test_the_stack_total_is_capped(self):
        self.flags(max_function_output_size=1000,
                   max_stack_function_output_size=5000, group=GROUP)
        resolver = _Values(p='x' * 900)
        snippet = [{'get_param': 'p'}] * 5
        self.assertEqual(['x' * 900] * 5,
                         functions.resolve(snippet, resolver))
        error = self.assertRaises(exception.InvalidTemplate,
                                  functions.resolve, snippet, resolver)
        self.assertIn('The intrinsic functions of the stack produce more '
                      'than 5000 bytes (heat_snapshots_templates.max_stack_'
                      'function_output_size)', str(error))

    def test_a_big_json_parameter_read_many_times(self):
        self.flags(max_stack_function_output_size=100000, group=GROUP)
        resolver = _Values(p=[{'k': 'v' * 10}] * 1000)
        error = self.assertRaises(exception.InvalidTemplate,
                                  functions.resolve,
                                  [{'get_param': 'p'}] * 10, resolver)
        self.assertIn('max_stack_function_output_size', str(error))


class StoreTest(local_base.DriverTestCase):

    def test_nested_str_replace_is_refused_and_nothing_stored(self):
        template = hot({'v': {'type': 'OS::Heat::Value',
                              'properties': {
                                  'value': nested_str_replace(8)}}})
        error = self.assertRaises(exception.InvalidTemplate,
                                  self.driver.create_stack, self.ctx,
                                  'bomb', template, {}, {}, {})
        self.assertIn('max_function_output_size', str(error))
        self.assertEqual([], self.driver.list_stacks(self.ctx))

    def test_an_output_bomb_is_refused(self):
        template = hot(outputs={'o': {'value': nested_str_replace(8)}})
        self.assertRaises(exception.InvalidTemplate,
                          self.driver.create_stack, self.ctx, 'bomb',
                          template, {}, {}, {})
        self.assertEqual([], self.driver.list_stacks(self.ctx))

    def test_an_update_bomb_is_refused_before_anything_changes(self):
        stack = self.create(hot({'a': {'type': 'OS::Heat::None'}}))
        template = hot({'v': {'type': 'OS::Heat::Value',
                              'properties': {
                                  'value': nested_str_replace(8)}}})
        self.assertRaises(exception.InvalidTemplate,
                          self.driver.prepare_update, self.ctx, stack,
                          template, {}, {}, {})
        self.assertEqual(['a'], list(self.resources(stack)))

    def test_get_attr_doubling_fails_the_resource_naming_the_limit(self):
        self.flags(max_function_output_size=20000, group=GROUP)
        resources = {'v0': {'type': 'OS::Heat::Value',
                            'properties': {'value': 'x' * 100}}}
        for n in range(1, 10):
            ref = {'get_attr': ['v%d' % (n - 1), 'value']}
            resources['v%d' % n] = {'type': 'OS::Heat::Value',
                                    'properties': {'value': {
                                        'list_join': ['', [ref, ref]]}}}
        stack = self.driver.create_stack(self.ctx, 'doubling',
                                         hot(resources), {}, {}, {})
        self.assertRaises(exception.HeatSnapshotsException,
                          self.driver.run_create, self.ctx,
                          stack.id)
        failed = [r for r in self.resources(stack).values()
                  if r.status == 'FAILED']
        self.assertEqual(1, len(failed))
        self.assertIn('max_function_output_size', failed[0].status_reason)

    def test_stack_name_with_a_trailing_newline(self):
        error = self.assertRaises(exception.Invalid,
                                  self.driver.create_stack, self.ctx,
                                  'name\n', hot(), {}, {}, {})
        self.assertIn('Invalid stack name', str(error))

    def test_stack_and_resources_are_stored_together_or_not_at_all(self):
        original = store_db.local_resources_create
        written = []

        def failing(context, stack_id, resources):
            # Written, then the transaction fails.
            original(context, stack_id, resources)
            written.append(stack_id)
            raise db_exc.DBError('disk full')

        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.localstack.db_api.local_resources_create',
            failing))
        self.assertRaises(db_exc.DBError, self.driver.create_stack,
                          self.ctx, 'half',
                          hot({'a': {'type': 'OS::Heat::None'},
                               'b': {'type': 'OS::Heat::None'}}),
                          {}, {}, {})
        self.assertEqual([], self.driver.list_stacks(self.ctx))
        self.assertIsNone(store_db.local_stack_get_by_name(
            self.ctx, self.ctx.project_id, 'half'))
        self.assertEqual([], store_db.local_resource_list(self.ctx,
                                                          written[0]))

    def test_a_racing_create_of_the_same_name_is_refused(self):
        # Both creates passed the look-up by name: the constraint decides.
        self.create(hot(), name='twice')
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.localstack.db_api.local_stack_get_by_name',
            lambda *args: None))
        error = self.assertRaises(exception.StackExists,
                                  self.driver.create_stack, self.ctx,
                                  'twice', hot(), {}, {}, {})
        self.assertEqual(409, error.code)

    def test_names_are_per_project_and_free_again_once_deleted(self):
        stack = self.create(hot(), name='reused')
        self.create(hot(), name='reused', ctx=self.make_context(
            project_id='project-b'))
        self.driver.run_delete(self.ctx, stack.id)
        self.driver.set_stack_state(self.ctx, stack.id, 'DELETE',
                                    'COMPLETE', 'deleted')
        again = self.create(hot(), name='reused')
        self.assertNotEqual(stack.id, again.id)
        self.driver.set_stack_state(self.ctx, again.id, 'DELETE',
                                    'COMPLETE', 'deleted')
        self.create(hot(), name='reused')
