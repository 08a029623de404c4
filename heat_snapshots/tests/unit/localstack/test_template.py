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

from heat_snapshots.common import exception
from heat_snapshots.localstack import resource_types
from heat_snapshots.localstack import template as tmpl
from heat_snapshots.tests import base


def hot(resources=None, **sections):
    template = {'heat_template_version': '2021-04-16',
                'resources': resources or {}}
    template.update(sections)
    return template


class TemplateValidationTest(base.TestCase):

    def assertInvalid(self, template, *fragments, environment=None):
        error = self.assertRaises(exception.InvalidTemplate, tmpl.Template,
                                  template, environment=environment)
        self.assertEqual(400, error.code)
        self.assertEqual('StackValidationFailed', error.type_name)
        for fragment in fragments:
            self.assertIn(fragment, str(error))
        return error

    def test_dated_and_named_versions_are_accepted(self):
        for version in ('2013-05-23', '2015-10-15', '2018-08-31',
                        '2021-04-16', 'newton', 'queens', 'wallaby'):
            parsed = tmpl.Template({'heat_template_version': version})
            self.assertEqual(version, parsed.version)

    def test_yaml_text_keeps_the_date_version(self):
        parsed = tmpl.Template(
            'heat_template_version: 2013-05-23\n'
            'description: d\n'
            'resources:\n  r: {type: OS::Heat::None}\n')
        self.assertEqual('2013-05-23', parsed.version)
        self.assertEqual('d', parsed.description)

    def test_missing_version_is_refused(self):
        self.assertInvalid({'resources': {}}, 'heat_template_version')

    def test_unknown_version_is_refused(self):
        self.assertInvalid({'heat_template_version': '2012-12-12'},
                           '2012-12-12')

    def test_unknown_section_is_refused(self):
        self.assertInvalid(hot(Resources={}),
                           'The template section is invalid: Resources')

    def test_unknown_resource_type_names_resource_and_type(self):
        self.assertInvalid(hot({'srv': {'type': 'OS::Nova::Nothing'}}),
                           'resources.srv', 'OS::Nova::Nothing')

    def test_resource_registry_can_alias_a_builtin_type(self):
        environment = tmpl.normalise_environment(
            {'resource_registry': {'My::Thing': 'OS::Heat::None'}})
        parsed = tmpl.Template(hot({'a': {'type': 'My::Thing'}}),
                               environment=environment)
        self.assertIs(resource_types.NoneResource,
                      parsed.resources['a'].type_class)

    def test_bad_get_resource_names_reference_and_place(self):
        self.assertInvalid(
            hot({'a': {'type': 'OS::Heat::Value',
                       'properties': {'value': {'get_resource': 'nope'}}}}),
            '"nope"', 'resources.a.properties')

    def test_bad_get_attr_resource(self):
        self.assertInvalid(
            hot({'a': {'type': 'OS::Heat::Value',
                       'properties': {'value': {'get_attr': ['b', 'v']}}}}),
            '"b"', 'resources.a')

    def test_unknown_attribute(self):
        self.assertInvalid(
            hot({'r': {'type': 'OS::Heat::RandomString'},
                 'a': {'type': 'OS::Heat::Value',
                       'properties': {'value': {'get_attr': ['r', 'bad']}}}}),
            'r bad')

    def test_none_resource_has_any_attribute(self):
        tmpl.Template(
            hot({'n': {'type': 'OS::Heat::None'},
                 'a': {'type': 'OS::Heat::Value',
                       'properties': {'value': {'get_attr': ['n', 'x']}}}}))

    def test_undefined_parameter(self):
        self.assertInvalid(
            hot({'a': {'type': 'OS::Heat::Value',
                       'properties': {'value': {'get_param': 'p'}}}}),
            'The Parameter (p) was not defined in template',
            'resources.a')

    def test_bad_depends_on(self):
        self.assertInvalid(
            hot({'a': {'type': 'OS::Heat::None', 'depends_on': ['b']}}),
            '"b"', '(in a)')

    def test_dependency_cycle(self):
        self.assertInvalid(
            hot({'a': {'type': 'OS::Heat::None', 'depends_on': 'b'},
                 'b': {'type': 'OS::Heat::Value',
                       'properties': {'value': {'get_resource': 'a'}}}}),
            'Circular dependency')

    def test_bad_output_reference(self):
        self.assertInvalid(
            hot(outputs={'o': {'value': {'get_attr': ['x', 'value']}}}),
            '"x"', 'outputs.o')

    def test_unknown_property(self):
        self.assertInvalid(
            hot({'r': {'type': 'OS::Heat::RandomString',
                       'properties': {'size': 3}}}),
            'resources.r.properties', 'Unknown Property size')

    def test_property_of_wrong_type(self):
        self.assertInvalid(
            hot({'r': {'type': 'OS::Heat::RandomString',
                       'properties': {'length': 'long'}}}),
            'resources.r.properties.length', 'long')

    def test_value_is_required_by_value_resource(self):
        self.assertInvalid(hot({'v': {'type': 'OS::Heat::Value'}}),
                           'resources.v.properties.value')

    def test_fail_on_accepts_only_known_operations(self):
        self.assertInvalid(
            hot({'t': {'type': 'OS::Heat::TestResource',
                       'properties': {'fail_on': ['explode']}}}),
            'explode')

    def test_unknown_resource_keyword(self):
        self.assertInvalid(hot({'a': {'type': 'OS::Heat::None',
                                      'Properties': {}}}),
                           'resources.a', 'Properties')

    def test_unknown_parameter_type(self):
        self.assertInvalid(hot(parameters={'p': {'type': 'float'}}),
                           'float', 'p')

    def test_requires_lists_depends_on_and_references(self):
        parsed = tmpl.Template(hot({
            'a': {'type': 'OS::Heat::None'},
            'b': {'type': 'OS::Heat::RandomString'},
            'c': {'type': 'OS::Heat::None'},
            'd': {'type': 'OS::Heat::Value', 'depends_on': 'c',
                  'properties': {'value': {'list_join': [
                      '-', [{'get_resource': 'a'},
                            {'get_attr': ['b', 'value']}]]}}}}))
        self.assertEqual(['a', 'b', 'c'], parsed.resources['d'].requires)
        self.assertEqual({'a': set(), 'b': set(), 'c': set(),
                          'd': {'a', 'b', 'c'}}, parsed.graph())

    def test_template_dict_is_not_changed(self):
        template = hot({'a': {'type': 'OS::Heat::TestResource'}},
                       parameters={'p': {'type': 'string', 'default': 'x'}})
        copy = dict(template)
        tmpl.Template(template)
        self.assertEqual(copy, template)
        self.assertEqual({'type': 'OS::Heat::TestResource'},
                         template['resources']['a'])


class ParameterTest(base.TestCase):

    def _template(self, environment=None, params=None):
        template = hot(parameters={
            'name': {'type': 'string'},
            'count': {'type': 'number', 'default': 2},
            'flag': {'type': 'boolean', 'default': 'yes'},
            'items': {'type': 'comma_delimited_list', 'default': 'a, b'},
            'doc': {'type': 'json', 'default': {'k': 1}},
            'secret': {'type': 'string', 'default': 's', 'hidden': True},
        })
        return tmpl.Template(template, environment=tmpl.normalise_environment(
            environment, params))

    def test_values_are_converted_and_shown_as_heat_shows_them(self):
        parsed = self._template(params={'name': 'web', 'count': '3'})
        values = parsed.parameters('sid', 'sname', 'proj')
        self.assertEqual(3, values['count'])
        self.assertIs(True, values['flag'])
        self.assertEqual(['a', 'b'], values['items'])
        self.assertEqual({'k': 1}, values['doc'])
        self.assertEqual({
            'OS::stack_id': 'sid', 'OS::stack_name': 'sname',
            'OS::project_id': 'proj', 'name': 'web', 'count': '3',
            'flag': 'True', 'items': 'a,b', 'doc': '{"k": 1}',
            'secret': '******'}, parsed.parameters_as_text(values))

    def test_api_params_override_environment_parameters(self):
        parsed = self._template(
            environment={'parameters': {'name': 'env', 'count': 5},
                         'parameter_defaults': {'count': 9}},
            params={'name': 'api'})
        values = parsed.parameters()
        self.assertEqual('api', values['name'])
        self.assertEqual(5, values['count'])

    def test_parameter_defaults_override_template_defaults(self):
        parsed = self._template(
            environment={'parameter_defaults': {'name': 'd', 'count': 9}})
        self.assertEqual(9, parsed.parameters()['count'])

    def test_missing_required_parameter(self):
        error = self.assertRaises(exception.InvalidParameter,
                                  self._template().parameters)
        self.assertEqual('The Parameter (name) was not provided.',
                         str(error))
        self.assertEqual(400, error.code)

    def test_value_of_wrong_type(self):
        error = self.assertRaises(
            exception.InvalidParameter,
            self._template(params={'name': 'x', 'count': 'many'}).parameters)
        self.assertIn('count', str(error))

    def test_value_for_unknown_parameter(self):
        error = self.assertRaises(
            exception.InvalidParameter,
            self._template(params={'name': 'x', 'other': 1}).parameters)
        self.assertIn('The Parameter (other) was not defined', str(error))

    def test_constraints(self):
        parsed = tmpl.Template(
            hot(parameters={'size': {
                'type': 'number',
                'constraints': [{'range': {'min': 1, 'max': 5}}]}}),
            environment=tmpl.normalise_environment({}, {'size': 7}))
        error = self.assertRaises(exception.InvalidParameter,
                                  parsed.parameters)
        self.assertIn('out of range', str(error))


class EnvironmentTest(base.TestCase):

    def test_normalised_as_heat_keeps_it(self):
        self.assertEqual(
            {'parameters': {}, 'resource_registry': {'resources': {}},
             'parameter_defaults': {}, 'event_sinks': []},
            tmpl.normalise_environment(None))

    def test_given_sections_and_params_are_kept(self):
        environment = tmpl.normalise_environment(
            {'parameters': {'a': 1}, 'parameter_defaults': {'b': 2},
             'resource_registry': {'X::Y': 'OS::Heat::None'}},
            {'c': 3})
        self.assertEqual({'a': 1, 'c': 3}, environment['parameters'])
        self.assertEqual({'b': 2}, environment['parameter_defaults'])
        self.assertEqual({'X::Y': 'OS::Heat::None', 'resources': {}},
                         environment['resource_registry'])

    def test_unknown_section_is_refused(self):
        error = self.assertRaises(exception.Invalid,
                                  tmpl.normalise_environment,
                                  {'paramaters': {}})
        self.assertIn('paramaters', str(error))

    def test_merge_for_patch(self):
        merged = tmpl.merge_environments(
            tmpl.normalise_environment({'parameters': {'a': 1, 'b': 2}}),
            {'parameters': {'b': 3}}, {'c': 4})
        self.assertEqual({'a': 1, 'b': 3, 'c': 4}, merged['parameters'])

    def test_stack_names(self):
        for name in ('a', 'Stack_1.x-y', 'a' * 255):
            tmpl.check_stack_name(name)
        for name in ('', '1abc', '_a', 'a b', 'a' * 256, 'a/b', None):
            self.assertRaises(exception.Invalid, tmpl.check_stack_name,
                              name)
