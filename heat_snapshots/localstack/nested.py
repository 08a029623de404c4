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

"""Resources that own a nested stack: groups, template resources, stacks.

``OS::Heat::ResourceGroup``, a template resource (a type naming a file of
the stack's ``files``) and ``OS::Heat::Stack`` each own a nested stack,
built from their properties as Heat builds it. The nested stack is not a
stack of its own in the store: its resources are rows of the top stack
named by their path from it (``group/0``, ``group/0/server``; Heat forbids
``/`` in resource names), the names the ``heat`` driver gives the nested
resources it reads from Heat, so a snapshot's ``data`` nests them the
same way. The nested stack's id is its resource's physical id; its outputs
are the resource's attributes.

What a nested stack may cost is bounded, like a template
(``[heat_snapshots_templates]``): its depth (max_nested_stack_depth), the
resources of the whole tree (max_resources_per_stack) and the size of the
templates of the tree, a group's as expanded (max_template_size, the tree
counted as one document). Function output shares the top stack's budget.
"""

import copy
import functools
import threading
from urllib import parse

from heat_snapshots.common import exception
from heat_snapshots.common import template_format
from heat_snapshots.engine import formatters
from heat_snapshots.localstack import functions
from heat_snapshots.localstack import limits
from heat_snapshots.localstack import resource_types

Schema = resource_types.Schema
PropertyError = resource_types.PropertyError

GROUP_TYPE = 'OS::Heat::ResourceGroup'
STACK_TYPE = 'OS::Heat::Stack'
STACK_ID_OUTPUT = 'OS::stack_id'
# The nested templates Heat makes for a group.
GROUP_TEMPLATE_VERSION = '2015-04-30'
SEPARATOR = formatters.SEPARATOR


def level(names, prefix):
    """The names among ``names`` of the stack at ``prefix``: {local: path}.

    ``prefix`` is '' for the top stack, ``group/`` for the nested stack of
    ``group``.
    """
    found = {}
    for path in names:
        if path.startswith(prefix):
            local = path[len(prefix):]
            if local and SEPARATOR not in local:
                found[local] = path
    return found


def arn(project_id, stack_name, stack_id):
    """Heat's ARN of a stack (what get_resource of a template resource
    gives when its template has no ``OS::stack_id`` output).
    """
    return 'arn:openstack:heat::%s:stacks/%s/%s' % (
        parse.quote(project_id or '', ''), parse.quote(stack_name, ''),
        parse.quote(stack_id, ''))


class Child:
    """What a nested stack is made of.

    :param template: the nested template (a dict).
    :param files: the files its get_file and template resources read.
    :param parameters: the values of its parameters.
    :param registry: the resource_registry it inherits.
    """

    def __init__(self, template, files, parameters, registry=None):
        self.template = template
        self.files = files
        self.parameters = parameters
        self.registry = registry

    def environment(self):
        environment = {'parameters': dict(self.parameters)}
        if self.registry:
            environment['resource_registry'] = copy.deepcopy(self.registry)
        return environment


def too_many_resources(maximum):
    return exception.RequestLimitExceeded(
        message='The stack would have more than %d resources, nested ones '
                'included (%s).' % (maximum, template_format.option_name(
                    'max_resources_per_stack')))


def too_large(maximum):
    return exception.InvalidTemplate(
        reason='The stack\'s templates, nested ones expanded, are larger '
               'than %d bytes (%s).' % (maximum, template_format.option_name(
                   'max_template_size')))


class Tree:
    """What one create, update, restore or delete of a stack may spend,
    nested stacks included; shared by the runs of every level.

    :param resources: how many resources the stack has now, every level.
    """

    def __init__(self, resources=0):
        opts = limits.options()
        self.max_depth = opts.max_nested_stack_depth
        self.max_resources = opts.max_resources_per_stack
        self.max_size = opts.max_template_size
        self.resources = resources
        self.size = 0
        self.budget = limits.Budget()
        self._lock = threading.Lock()

    def check_depth(self, depth):
        """:raises: RequestLimitExceeded past max_nested_stack_depth."""
        if depth > self.max_depth:
            raise exception.RequestLimitExceeded(
                message='Recursion depth exceeds %d (%s).'
                        % (self.max_depth, template_format.option_name(
                            'max_nested_stack_depth')))

    def add_resources(self, count):
        """Count ``count`` more resources (negative: fewer).

        :raises: RequestLimitExceeded past max_resources_per_stack.
        """
        with self._lock:
            if count > 0 and self.resources + count > self.max_resources:
                raise too_many_resources(self.max_resources)
            self.resources = max(self.resources + count, 0)

    def add_template(self, template):
        """Count a template (a group's as expanded) toward the tree's
        size.

        :raises: InvalidTemplate past max_template_size.
        """
        size = limits.check_document(template, 'nested template')
        with self._lock:
            self.size += size
            if self.size > self.max_size:
                raise too_large(self.max_size)


class NestedStackType(resource_types.ResourceType):
    """A resource that owns a nested stack.

    The driver creates, updates, restores and deletes the nested stack
    (``child``) with the resource; its attributes come from the nested
    stack's resources and outputs (``nested_attributes``).
    """

    nested = True

    def child(self, properties, files, registry):
        """The nested stack of these (resolved, checked) properties.

        :raises: PropertyError, InvalidTemplate.
        """
        raise NotImplementedError()

    def nested_attributes(self, identity, members, outputs):
        """The resource's attributes once its nested stack is done.

        :param identity: (project id, nested stack name, nested stack id).
        :param members: {name: (reference id, attributes)} of the nested
            stack's resources.
        :param outputs: {key: value} of the nested stack's outputs.
        """
        return {}

    @classmethod
    def attribute(cls, attributes, key):
        """The value of attribute ``key`` from the stored attributes."""
        return (attributes or {}).get(key)

    @classmethod
    def reference_id(cls, identity, attributes):
        """What get_resource gives: the nested stack's id.

        :param identity: (project id, nested stack name, nested stack id).
        """
        return identity[2]


# --- OS::Heat::ResourceGroup --------------------------------------------

GROUP_ATTRIBUTES = ('refs', 'refs_map', 'attributes', 'removed_rsrc_list')


class ResourceGroup(NestedStackType):
    """Heat's OS::Heat::ResourceGroup: ``count`` copies of ``resource_def``
    named "0", "1", ..., ``index_var`` in their properties replaced by
    their name.

    ``removal_policies`` are refused: members are removed from the highest
    index down, as Heat does without them.
    """

    type_name = GROUP_TYPE
    properties_schema = {
        'count': Schema('integer', default=1, min_value=0),
        'index_var': Schema('string', default='%index%'),
        'resource_def': Schema('map', required=True, schema={
            'type': Schema('string', required=True),
            'properties': Schema('map'),
            'metadata': Schema('map'),
        }),
        'removal_policies': Schema('list', default=[]),
        'removal_policies_mode': Schema(
            'string', default='append', allowed_values=('append',
                                                        'update')),
    }
    # refs, refs_map, attributes, removed_rsrc_list, resource.<n>[.<attr>]
    # and any attribute of the members (a list, one value per member).
    any_attributes = True

    @classmethod
    def check_properties(cls, properties, path, partial=False):
        result = super().check_properties(properties, path, partial)
        index_var = result.get('index_var')
        if isinstance(index_var, str) and len(index_var) < 3:
            raise PropertyError('%s.index_var: length (%d) is out of range '
                                '(min: 3)' % (path, len(index_var)))
        policies = result.get('removal_policies')
        if policies and not functions.function_name(policies):
            raise PropertyError(
                '%s.removal_policies: removal policies are not supported '
                'by the local stack store; members are removed from the '
                'highest index down' % path)
        return result

    @staticmethod
    def member_names(count):
        return [str(index) for index in range(count or 0)]

    def child(self, properties, files, registry):
        definition = properties['resource_def']
        index_var = properties['index_var']
        # Bounded before anything is built: the members' definitions are
        # ``count`` copies of one.
        opts = limits.options()
        count = properties['count'] or 0
        if count > opts.max_resources_per_stack:
            raise too_many_resources(opts.max_resources_per_stack)
        if count * limits.check_document(definition, 'resource_def') > \
                opts.max_template_size:
            raise too_large(opts.max_template_size)
        resources = {}
        for name in self.member_names(properties['count']):
            member = {'type': definition['type']}
            if definition.get('properties'):
                member['properties'] = _replace_index(
                    definition['properties'], index_var, name)
            if definition.get('metadata'):
                member['metadata'] = copy.deepcopy(definition['metadata'])
            resources[name] = member
        template = {'heat_template_version': GROUP_TEMPLATE_VERSION,
                    'resources': resources}
        return Child(template, files, {}, registry)

    def nested_attributes(self, identity, members, outputs):
        names = sorted(members, key=_index_order)
        refs_map = {name: members[name][0] for name in names}
        by_attribute = {}
        for name in names:
            for key, value in (members[name][1] or {}).items():
                if key != 'show':
                    by_attribute.setdefault(key, {})[name] = value
        return {'refs': [refs_map[name] for name in names],
                'refs_map': refs_map,
                'attributes': by_attribute,
                'removed_rsrc_list': []}

    @classmethod
    def attribute(cls, attributes, key):
        attributes = attributes or {}
        if key in GROUP_ATTRIBUTES:
            return attributes.get(key)
        refs_map = attributes.get('refs_map') or {}
        by_attribute = attributes.get('attributes') or {}
        if key.startswith('resource.'):
            parts = key.split('.', 2)
            if len(parts) == 2:
                return refs_map.get(parts[1])
            return (by_attribute.get(parts[2]) or {}).get(parts[1])
        values = by_attribute.get(key) or {}
        return [values.get(name)
                for name in sorted(refs_map, key=_index_order)]


def _index_order(name):
    return (0, int(name)) if name.isdigit() else (1, name)


def _replace_index(value, index_var, name):
    """``value`` with ``index_var`` replaced by ``name`` in its strings
    (not in its keys, as in Heat).
    """
    if isinstance(value, str):
        return value.replace(index_var, name)
    if isinstance(value, dict):
        return {key: _replace_index(item, index_var, name)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_index(item, index_var, name) for item in value]
    return value


# --- template resources ---------------------------------------------------

class TemplateResource(NestedStackType):
    """A type naming a template of ``files``: its properties are the
    nested template's parameters, its attributes its outputs (and
    ``OS::stack_id``, the nested stack's id).
    """

    template_name = None
    template = None

    def child(self, properties, files, registry):
        parameters = {key: value for key, value in properties.items()
                      if value is not None}
        return Child(copy.deepcopy(self.template), files, parameters,
                     registry)

    def nested_attributes(self, identity, members, outputs):
        attributes = {STACK_ID_OUTPUT: identity[2]}
        attributes.update(outputs)
        return attributes

    @classmethod
    def reference_id(cls, identity, attributes):
        # Heat: the template's own OS::stack_id output, else the nested
        # stack's ARN.
        if STACK_ID_OUTPUT in (cls.template.get('outputs') or {}):
            return (attributes or {}).get(STACK_ID_OUTPUT)
        return arn(*identity)


def template_resource_class(type_name, text):
    """The class of a template resource whose template is ``text``.

    Properties are the template's parameters (those without a default
    are required), attributes its outputs and ``OS::stack_id``.

    :raises: InvalidTemplate for a file that is not a template or is over
        the limits.
    """
    opts = limits.options()
    # A group's members name the same file: it is parsed once, not once
    # per member (the limits in force are part of the key).
    return _template_resource_class(
        type_name, text, opts.max_template_size, opts.max_document_nodes,
        opts.max_document_depth)


@functools.lru_cache(maxsize=64)
def _template_resource_class(type_name, text, *limits_in_force):
    template = limits.load_yaml(text, 'template %s' % type_name)
    if not isinstance(template, dict):
        raise exception.InvalidTemplate(
            reason='The template of resource type %s is not a JSON object '
                   'or YAML mapping.' % type_name)
    limits.check_document(template, 'template %s' % type_name)
    parameters = template.get('parameters') or {}
    outputs = template.get('outputs') or {}
    if not isinstance(parameters, dict) or not isinstance(outputs, dict):
        raise exception.InvalidTemplate(
            reason='The template of resource type %s: "parameters" and '
                   '"outputs" must be maps' % type_name)
    schema = {}
    for name, parameter in parameters.items():
        default = parameter.get('default') if isinstance(parameter,
                                                         dict) else None
        schema[name] = Schema('any', required=default is None)
    return type(
        'TemplateResource', (TemplateResource,),
        {'type_name': type_name, 'template_name': type_name,
         'template': template, 'properties_schema': schema,
         'attributes': tuple(outputs) + (STACK_ID_OUTPUT,)})


# --- OS::Heat::Stack ------------------------------------------------------

class Stack(NestedStackType):
    """Heat's OS::Heat::Stack: its ``template`` (text, as in Heat) and
    ``parameters`` made in the store as a nested stack. A ``context``
    naming another region or cloud is refused.
    """

    type_name = STACK_TYPE
    properties_schema = {
        'template': Schema('string', required=True),
        'parameters': Schema('map', default={}),
        'timeout': Schema('integer', min_value=1),
        'context': Schema('map', schema={
            'region_name': Schema('string'),
            'credential_secret_id': Schema('string'),
            'ca_cert': Schema('string'),
            'insecure': Schema('boolean', default=False),
        }),
    }
    attributes = ('stack_name', 'outputs')

    @classmethod
    def check_properties(cls, properties, path, partial=False):
        result = super().check_properties(properties, path, partial)
        context = result.get('context')
        if isinstance(context, dict) and (context.get('region_name') or
                                          context.get(
                                              'credential_secret_id')):
            raise PropertyError('%s.context: a stack in another region or '
                                'cloud is not supported by the local stack '
                                'store' % path)
        return result

    def child(self, properties, files, registry):
        template = limits.load_yaml(properties['template'],
                                    'template of %s' % self.name)
        if not isinstance(template, dict):
            raise exception.InvalidTemplate(
                reason='The template of %s is not a JSON object or YAML '
                       'mapping.' % self.name)
        parameters = dict(properties.get('parameters') or {})
        # A stack of its own in Heat: the parent's registry is not its.
        return Child(template, files, parameters)

    def nested_attributes(self, identity, members, outputs):
        return {'stack_name': identity[1], 'outputs': dict(outputs)}


TYPES = {cls.type_name: cls for cls in (ResourceGroup, Stack)}


def resource_type(type_name, files):
    """The nested type ``type_name`` names, or None.

    :param files: the stack's files; a name among them is a template
        resource.
    :raises: InvalidTemplate for a template file that cannot be one.
    """
    if type_name in TYPES:
        return TYPES[type_name]
    if files and isinstance(files.get(type_name), str):
        return template_resource_class(type_name, files[type_name])
    return None


def with_paths(resources):
    """Resources read from the store, each requiring by path what it
    requires by name in its own stack, and its nested stack's resources
    (a resource with a nested stack is done once they are, as the
    ``heat`` driver has it).

    :param resources: base.Resource objects named by path; changed.
    """
    children = {}
    for resource in resources:
        parent, _, _ = resource.name.rpartition(SEPARATOR)
        if parent:
            children.setdefault(parent, []).append(resource.name)
    for resource in resources:
        parent, _, _ = resource.name.rpartition(SEPARATOR)
        prefix = parent + SEPARATOR if parent else ''
        resource.requires = sorted(
            {prefix + name for name in resource.requires} |
            set(children.get(resource.name, ())))
    return resources
