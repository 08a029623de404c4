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

"""HOT templates and environments of the local stack driver.

``Template`` checks a HOT template (the subset the local driver runs) and
answers what the driver needs: parameter values, resource definitions and
their dependencies, outputs. The template dict itself is never changed:
the driver stores and returns it exactly as given.
"""

import copy

from oslo_serialization import jsonutils
from oslo_utils import strutils

from heat_snapshots.common import exception
from heat_snapshots.common import stack_names
from heat_snapshots.engine import walk
from heat_snapshots.localstack import functions
from heat_snapshots.localstack import limits
from heat_snapshots.localstack import nested
from heat_snapshots.localstack import resource_types

VERSIONS = (
    '2013-05-23', '2014-10-16', '2015-04-30', '2015-10-15', '2016-04-08',
    '2016-10-14', '2017-02-24', '2017-09-01', '2018-03-02', '2018-08-31',
    '2021-04-16',
    'newton', 'ocata', 'pike', 'queens', 'rocky', 'wallaby',
)

SECTIONS = ('heat_template_version', 'description', 'parameter_groups',
            'parameters', 'resources', 'outputs', 'conditions')
RESOURCE_KEYS = ('type', 'properties', 'depends_on', 'metadata',
                 'deletion_policy', 'update_policy', 'condition',
                 'external_id')
OUTPUT_KEYS = ('value', 'description', 'condition')
PARAMETER_KEYS = ('type', 'default', 'description', 'label', 'hidden',
                  'constraints', 'immutable', 'tags')
PARAMETER_TYPES = ('string', 'number', 'boolean', 'json',
                   'comma_delimited_list')

ENVIRONMENT_SECTIONS = ('parameters', 'parameter_defaults',
                        'resource_registry', 'event_sinks',
                        'encrypted_param_names',
                        'parameter_merge_strategies')

STACK_ID = 'OS::stack_id'
STACK_NAME = 'OS::stack_name'
PROJECT_ID = 'OS::project_id'
PSEUDO_PARAMETERS = (STACK_ID, STACK_NAME, PROJECT_ID)

NO_DESCRIPTION = 'No description'


def _invalid(reason):
    return exception.InvalidTemplate(reason=reason)


def _environment_error(message):
    return exception.Invalid(
        message='The environment is not valid: %s' % message)


def parse(template):
    """A template given as text (YAML or JSON) as a dict; dicts as is.

    :raises: InvalidTemplate for a syntax error, YAML anchors or aliases,
        or a template over the limits of [heat_snapshots_templates].
    """
    if isinstance(template, bytes):
        template = template.decode('utf-8', 'replace')
    if isinstance(template, str):
        template = limits.load_yaml(template)
    if not isinstance(template, dict):
        raise _invalid('The template is not a JSON object or YAML mapping.')
    limits.check_document(template)
    return template


def check_stack_name(name):
    """:raises: Invalid unless ``name`` is a valid Heat stack name.

    The whole name must match: a trailing newline is not allowed.
    """
    if not stack_names.is_valid(name):
        raise exception.Invalid(
            message='Invalid stack name %s must contain only alphanumeric '
                    'or "_-." characters, must start with alpha and must '
                    'be 255 characters or less.' % name)


def normalise_environment(environment, params=None):
    """The environment as Heat keeps it, with API ``params`` merged in.

    :raises: Invalid for an environment that is not a map or has an
        unknown section.
    """
    environment = environment or {}
    if isinstance(environment, bytes):
        environment = environment.decode('utf-8', 'replace')
    if isinstance(environment, str):
        environment = limits.load_yaml(environment, 'environment',
                                       _environment_error) or {}
    if not isinstance(environment, dict):
        raise exception.Invalid(
            message='The environment is not valid: it must be a map')
    for section in environment:
        if section not in ENVIRONMENT_SECTIONS:
            raise exception.Invalid(
                message='The environment is not valid: environment has '
                        'wrong section "%s"' % section)
    for section in ('parameters', 'parameter_defaults', 'resource_registry'):
        if not isinstance(environment.get(section) or {}, dict):
            raise exception.Invalid(
                message='The environment is not valid: "%s" must be a map'
                        % section)
    if params is not None and not isinstance(params, dict):
        raise exception.Invalid(message='The parameters must be a map')
    # Before any copy: a shared value is counted each time it appears.
    limits.check_document({'environment': environment, 'params': params},
                          'environment', _environment_error)
    result = copy.deepcopy(environment)
    result['parameters'] = dict(environment.get('parameters') or {},
                                **copy.deepcopy(params or {}))
    result['parameter_defaults'] = copy.deepcopy(
        environment.get('parameter_defaults') or {})
    registry = copy.deepcopy(environment.get('resource_registry') or {})
    registry.setdefault('resources', {})
    result['resource_registry'] = registry
    result['event_sinks'] = copy.deepcopy(
        environment.get('event_sinks') or [])
    return result


def merge_environments(old, new, params=None):
    """PATCH: ``new`` and ``params`` merged into the ``old`` environment."""
    new = new or {}
    result = copy.deepcopy(old or {})
    for section, value in new.items():
        if isinstance(value, dict) and isinstance(result.get(section),
                                                  dict):
            merged = dict(result[section])
            merged.update(copy.deepcopy(value))
            result[section] = merged
        else:
            result[section] = copy.deepcopy(value)
    if params:
        result['parameters'] = dict(result.get('parameters') or {},
                                    **copy.deepcopy(params))
    return normalise_environment(result)


class ResourceDefinition:
    """One resource of a template."""

    def __init__(self, name, type_name, type_class, properties, depends_on,
                 metadata):
        self.name = name
        self.type = type_name
        self.type_class = type_class
        self.properties = properties
        self.depends_on = depends_on
        self.metadata = metadata
        self.requires = sorted(set(depends_on) |
                               functions.dependencies(properties))

    def has_attribute(self, attribute):
        return self.type_class.has_attribute(attribute)


class Template:
    """A checked HOT template.

    :param template: the template dict (not changed).
    :param files: the stack's files, for get_file.
    :param environment: a normalised environment (its resource_registry
        may alias built-in types).
    :raises: InvalidTemplate naming the problem.
    """

    def __init__(self, template, files=None, environment=None,
                 resources=True, stored=False):
        """:param resources: False: only the description and parameters
            (a stored stack's show), not the resources and outputs.
        :param stored: the template (a dict), files and normalised
            environment of a stored stack, within the limits when they
            were stored: not measured again on each read (a thousand
            resources took 2 ms), nor refused after an operator lowers a
            limit.
        """
        self.t = template if stored else parse(template)
        self.files = files or {}
        if not stored:
            limits.check_files(self.files)
        self.environment = environment or normalise_environment({})
        self._check_version()
        for section in self.t:
            if section not in SECTIONS:
                raise _invalid('The template section is invalid: %s'
                               % section)
        self.description = self.t.get('description')
        if self.description is None:
            self.description = NO_DESCRIPTION
        self.parameter_schemas = self._parameter_schemas()
        if not resources:
            self.resources = self.outputs = None
            return
        self.resources = self._resources()
        self.outputs = self._outputs()
        self._validate_functions()
        walk.check_graph(self.graph())

    def _check_version(self):
        if 'heat_template_version' not in self.t:
            raise _invalid('Template format version not found. This '
                           'driver runs HOT templates: '
                           '"heat_template_version" is required.')
        version = str(self.t['heat_template_version'])
        if version not in VERSIONS:
            raise _invalid('"heat_template_version: %s" is not valid. '
                           'Should be one of: %s'
                           % (version, ', '.join(VERSIONS)))
        self.version = version

    def _section(self, name):
        value = self.t.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _invalid('The template section "%s" must be a map'
                           % name)
        return value

    # --- parameters -----------------------------------------------------

    def _parameter_schemas(self):
        schemas = {}
        for name, schema in self._section('parameters').items():
            if not isinstance(schema, dict):
                raise _invalid('Invalid parameter schema for parameter: %s'
                               % name)
            for key in schema:
                if key not in PARAMETER_KEYS:
                    raise _invalid('Invalid key \'%s\' for parameter (%s)'
                                   % (key, name))
            if 'type' not in schema:
                raise _invalid('Missing parameter type for parameter: %s'
                               % name)
            if schema['type'] not in PARAMETER_TYPES:
                raise _invalid('Invalid type (%s) of parameter %s'
                               % (schema['type'], name))
            constraints = schema.get('constraints') or []
            if not isinstance(constraints, list) or not all(
                    isinstance(c, dict) for c in constraints):
                raise _invalid('Invalid parameter constraints for '
                               'parameter %s, expected a list' % name)
            for constraint in constraints:
                if 'allowed_pattern' in constraint:
                    try:
                        limits.compile_pattern(constraint['allowed_pattern'])
                    except limits.PatternError as error:
                        raise _invalid('Invalid allowed_pattern for '
                                       'parameter %s: %s' % (name, error))
            if schema.get('default') is not None:
                # A default must fit the type, as in Heat.
                try:
                    _convert_parameter(name, schema, schema['default'])
                except exception.InvalidParameter as error:
                    raise _invalid(str(error))
            schemas[name] = schema
        return schemas

    def parameter_names(self):
        return set(self.parameter_schemas) | set(PSEUDO_PARAMETERS)

    def parameters(self, stack_id=None, stack_name=None, project_id=None):
        """Every parameter's value, converted to its type.

        :raises: InvalidParameter for a missing or bad value, or a value
            for a parameter the template does not have.
        """
        user = self.environment.get('parameters') or {}
        defaults = self.environment.get('parameter_defaults') or {}
        for name in user:
            if name not in self.parameter_schemas:
                raise exception.InvalidParameter(
                    message='The Parameter (%s) was not defined in '
                            'template.' % name, name=name)
        values = {STACK_ID: stack_id, STACK_NAME: stack_name,
                  PROJECT_ID: project_id}
        for name, schema in self.parameter_schemas.items():
            if user.get(name) is not None:
                value = user[name]
            elif defaults.get(name) is not None:
                value = defaults[name]
            elif schema.get('default') is not None:
                value = schema['default']
            else:
                raise exception.InvalidParameter(
                    message='The Parameter (%s) was not provided.' % name,
                    name=name)
            values[name] = _convert_parameter(name, schema, value)
        return values

    def parameters_as_text(self, values):
        """Parameter values as Heat's stack show prints them."""
        text = {}
        for name, value in values.items():
            schema = self.parameter_schemas.get(name, {})
            if schema.get('hidden'):
                text[name] = '******'
            elif value is None:
                text[name] = ''
            elif schema.get('type') == 'json':
                text[name] = jsonutils.dumps(value)
            elif schema.get('type') == 'comma_delimited_list':
                text[name] = ','.join(value)
            else:
                text[name] = str(value)
        return text

    # --- resources and outputs -----------------------------------------

    def _resources(self):
        definitions = {}
        resources = self._section('resources')
        for name, snippet in resources.items():
            path = 'resources.%s' % name
            if not isinstance(snippet, dict):
                raise _invalid('%s: Resource definition must be a map'
                               % path)
            for key in snippet:
                if key not in RESOURCE_KEYS:
                    raise _invalid('%s: "%s" is not a valid keyword inside '
                                   'a resource definition' % (path, key))
            type_name = snippet.get('type')
            if not isinstance(type_name, str) or not type_name:
                raise _invalid('%s: Resource %s is missing "type"'
                               % (path, name))
            type_class = resource_type(self.environment, name, type_name,
                                       self.files)
            if type_class is None:
                raise _invalid('resources.%s: The Resource Type (%s) could '
                               'not be found.' % (name, type_name))
            properties = snippet.get('properties')
            if properties is None:
                properties = {}
            if not isinstance(properties, dict) and \
                    functions.function_name(properties) is None:
                raise _invalid('%s: "properties" must be a map' % path)
            depends_on = snippet.get('depends_on')
            if depends_on is None:
                depends_on = []
            elif isinstance(depends_on, str):
                depends_on = [depends_on]
            if not isinstance(depends_on, list) or not all(
                    isinstance(d, str) for d in depends_on):
                raise _invalid('%s: "depends_on" must be a resource name '
                               'or a list of them' % path)
            for required in depends_on:
                if required not in resources:
                    raise _invalid('The specified reference "%s" (in %s) '
                                   'is incorrect.' % (required, name))
            try:
                type_class.check_properties(properties,
                                            path + '.properties',
                                            partial=True)
            except resource_types.PropertyError as error:
                raise _invalid('Property error: %s' % error)
            definitions[name] = ResourceDefinition(
                name, type_name, type_class, properties, depends_on,
                snippet.get('metadata') or {})
        return definitions

    def _outputs(self):
        outputs = {}
        for key, snippet in self._section('outputs').items():
            if not isinstance(snippet, dict):
                raise _invalid('outputs.%s: Output definition must be a map'
                               % key)
            for name in snippet:
                if name not in OUTPUT_KEYS:
                    raise _invalid('outputs.%s: "%s" is not a valid keyword '
                                   'inside an output definition'
                                   % (key, name))
            outputs[key] = snippet
        return outputs

    def _validate_functions(self):
        for name, definition in self.resources.items():
            functions.validate(definition.properties,
                               'resources.%s.properties' % name, self)
        for key, snippet in self.outputs.items():
            functions.validate(snippet.get('value'), 'outputs.%s.value'
                               % key, self)

    def graph(self):
        """{resource name: set of the names it requires}."""
        return {name: set(definition.requires)
                for name, definition in self.resources.items()}


def resource_type(environment, name, type_name, files=None):
    """The class of a resource's type, through the resource_registry.

    :param files: the stack's files: a type naming one is a template
        resource.
    :returns: None for a type the local driver does not have.
    :raises: InvalidTemplate for a template resource's file that is not
        a template.
    """
    registry = (environment or {}).get('resource_registry') or {}
    resolved = type_name
    own = (registry.get('resources') or {}).get(name)
    if isinstance(own, dict) and isinstance(own.get(resolved), str):
        resolved = own[resolved]
    seen = set()
    while (resolved not in resource_types.TYPES and resolved not in seen
           and isinstance(registry.get(resolved), str)):
        seen.add(resolved)
        resolved = registry[resolved]
    return (resource_types.get(resolved) or
            nested.resource_type(resolved, files))


def _convert_parameter(name, schema, value):
    """A parameter's value as its type; :raises: InvalidParameter."""
    kind = schema['type']
    try:
        if kind == 'string':
            if isinstance(value, (dict, list)):
                raise ValueError('Value must be a string')
            converted = str(value)
        elif kind == 'number':
            converted = resource_types.to_number(value, name, False)
        elif kind == 'boolean':
            converted = strutils.bool_from_string(str(value), strict=True)
        elif kind == 'json':
            converted = value
            if isinstance(value, str):
                converted = (limits.load_json_parameter(name, value)
                             if value else {})
            if not isinstance(converted, (dict, list)):
                raise ValueError('Value must be valid JSON')
        else:
            if isinstance(value, list):
                converted = [str(item) for item in value]
            elif isinstance(value, str):
                converted = ([item.strip() for item in value.split(',')]
                             if value else [])
            else:
                raise ValueError('Value must be a comma-delimited list '
                                 'string')
    except (ValueError, TypeError) as error:
        raise exception.InvalidParameter(name=name, reason=str(error))
    for constraint in schema.get('constraints') or []:
        _check_constraint(name, constraint, converted)
    return converted


def _check_constraint(name, constraint, value):
    def fail(default_reason):
        raise exception.InvalidParameter(
            name=name,
            reason=constraint.get('description') or default_reason)

    if 'allowed_values' in constraint:
        if value not in constraint['allowed_values']:
            fail('"%s" is not an allowed value %s'
                 % (value, constraint['allowed_values']))
    if 'length' in constraint:
        bounds = constraint['length'] or {}
        if 'min' in bounds and len(value) < bounds['min']:
            fail('length must be at least %s' % bounds['min'])
        if 'max' in bounds and len(value) > bounds['max']:
            fail('length must be no greater than %s' % bounds['max'])
    if 'range' in constraint:
        bounds = constraint['range'] or {}
        if 'min' in bounds and value < bounds['min']:
            fail('%s is out of range (min: %s, max: %s)'
                 % (value, bounds.get('min'), bounds.get('max')))
        if 'max' in bounds and value > bounds['max']:
            fail('%s is out of range (min: %s, max: %s)'
                 % (value, bounds.get('min'), bounds.get('max')))
    if 'allowed_pattern' in constraint:
        # RE2: linear in the value's length, never Python's backtracking
        # re on what a caller sent.
        try:
            matches = limits.pattern_matches(constraint['allowed_pattern'],
                                             _pattern_subject(value))
        except limits.PatternError as error:
            raise exception.InvalidParameter(name=name, reason=str(error))
        if not matches:
            fail('"%s" does not match pattern "%s"'
                 % (_shown(value), constraint['allowed_pattern']))


def _pattern_subject(value):
    return str(value)


def _shown(value, limit=256):
    """A value in a message: long ones cut."""
    text = str(value)
    if len(text) > limit:
        return text[:limit] + '...'
    return text
