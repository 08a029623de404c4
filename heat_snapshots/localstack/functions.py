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

"""HOT intrinsic functions of the local stack driver.

A function is a mapping with exactly one key naming it, as in Heat:
``{"get_param": "name"}``. ``validate`` checks the functions of a snippet
against the template before anything is stored; ``dependencies`` lists the
resources a snippet refers to; ``resolve`` computes a snippet's value.

What functions produce is capped (limits.Budget): a result over
max_function_output_size, or a stack's results adding up to more than
max_stack_function_output_size, is an InvalidTemplate naming the option,
found before the oversized value is built.
"""

from oslo_serialization import jsonutils

from heat_snapshots.common import exception
from heat_snapshots.localstack import limits

GET_PARAM = 'get_param'
GET_RESOURCE = 'get_resource'
GET_ATTR = 'get_attr'
GET_FILE = 'get_file'
STR_REPLACE = 'str_replace'
LIST_JOIN = 'list_join'

FUNCTIONS = (GET_PARAM, GET_RESOURCE, GET_ATTR, GET_FILE, STR_REPLACE,
             LIST_JOIN)


def function_name(snippet):
    """The function a snippet calls, or None for plain data."""
    if isinstance(snippet, dict) and len(snippet) == 1:
        name = next(iter(snippet))
        if name in FUNCTIONS:
            return name
    return None


def _invalid(path, message):
    return exception.InvalidTemplate(reason='%s: %s' % (path, message))


def _bad_reference(name, path):
    # Heat's InvalidTemplateReference message.
    return exception.InvalidTemplate(
        reason='The specified reference "%s" (in %s) is incorrect.'
               % (name, path))


def validate(snippet, path, template):
    """Check every function call of ``snippet``.

    :param path: where the snippet is, for messages
        (``resources.server.properties.name``).
    :param template: a template.Template, for names of parameters,
        resources and attributes.
    :raises: InvalidTemplate naming the path and the bad argument.
    """
    name = function_name(snippet)
    if name is None:
        if isinstance(snippet, dict):
            for key, value in snippet.items():
                validate(value, '%s.%s' % (path, key), template)
        elif isinstance(snippet, list):
            for index, value in enumerate(snippet):
                validate(value, '%s[%d]' % (path, index), template)
        return
    args = snippet[name]
    where = '%s.%s' % (path, name)
    if name == GET_PARAM:
        if isinstance(args, str):
            args = [args]
        if not isinstance(args, list) or not args or \
                not isinstance(args[0], str):
            raise _invalid(where, 'Function "get_param" takes a parameter '
                                  'name or a list [name, path...]')
        if args[0] not in template.parameter_names():
            raise exception.InvalidTemplate(
                reason='The Parameter (%s) was not defined in template '
                       '(in %s).' % (args[0], path))
        for index, arg in enumerate(args[1:], 1):
            validate(arg, '%s[%d]' % (where, index), template)
    elif name == GET_RESOURCE:
        if not isinstance(args, str):
            raise _invalid(where, 'Function "get_resource" takes a '
                                  'resource name')
        if args not in template.resources:
            raise _bad_reference(args, path)
    elif name == GET_ATTR:
        if not isinstance(args, list) or len(args) < 2 or \
                not isinstance(args[0], str):
            raise _invalid(where, 'Function "get_attr" takes a list '
                                  '[resource name, attribute, path...]')
        resource_name, attribute = args[0], args[1]
        if resource_name not in template.resources:
            raise _bad_reference(resource_name, path)
        if isinstance(attribute, str):
            if not template.resources[resource_name].has_attribute(
                    attribute):
                raise exception.InvalidTemplate(
                    reason='The Referenced Attribute (%s %s) is incorrect '
                           '(in %s).' % (resource_name, attribute, path))
        else:
            validate(attribute, '%s[1]' % where, template)
        for index, arg in enumerate(args[2:], 2):
            validate(arg, '%s[%d]' % (where, index), template)
    elif name == GET_FILE:
        if not isinstance(args, str):
            raise _invalid(where, 'Function "get_file" takes a file name')
        if args not in template.files:
            raise _invalid(where, 'No content found in the "files" '
                                  'section for get_file path: %s' % args)
    elif name == STR_REPLACE:
        if not isinstance(args, dict) or \
                set(args) != {'template', 'params'}:
            raise _invalid(where, '"str_replace" parameters must be a '
                                  'mapping with "template" and "params"')
        if not function_name(args['params']) and \
                not isinstance(args['params'], dict):
            raise _invalid(where, '"str_replace" params must be a '
                                  'mapping')
        validate(args['template'], where + '.template', template)
        validate(args['params'], where + '.params', template)
    elif name == LIST_JOIN:
        if not isinstance(args, list) or len(args) < 2:
            raise _invalid(where, 'Function "list_join" takes a list '
                                  '[delimiter, list, ...]')
        for index, arg in enumerate(args):
            validate(arg, '%s[%d]' % (where, index), template)


def dependencies(snippet):
    """The names of the resources ``snippet`` refers to."""
    found = set()
    name = function_name(snippet)
    if name == GET_RESOURCE and isinstance(snippet[name], str):
        found.add(snippet[name])
    elif name == GET_ATTR and isinstance(snippet[name], list) and \
            snippet[name] and isinstance(snippet[name][0], str):
        found.add(snippet[name][0])
        for arg in snippet[name][1:]:
            found |= dependencies(arg)
    elif isinstance(snippet, dict):
        for value in snippet.values():
            found |= dependencies(value)
    elif isinstance(snippet, list):
        for value in snippet:
            found |= dependencies(value)
    return found


class Resolver:
    """What functions read; the driver gives its stack's values.

    One resolver serves one stack's create, update or delete: its budget
    caps what the functions compute for the stack in all.
    """

    _budget = None

    @property
    def budget(self):
        if self._budget is None:
            self._budget = limits.Budget()
        return self._budget

    def get_param(self, name):
        raise NotImplementedError()

    def get_resource(self, name):
        raise NotImplementedError()

    def get_attr(self, name, attribute):
        raise NotImplementedError()

    def get_file(self, name):
        raise NotImplementedError()


def _follow(value, path):
    """Index into nested maps and lists; None where there is nothing."""
    for key in path:
        if isinstance(value, dict):
            value = value.get(key if isinstance(key, str) else str(key))
        elif isinstance(value, list):
            try:
                value = value[int(key)]
            except (ValueError, TypeError, IndexError):
                return None
        else:
            return None
    return value


def _as_text(value, what):
    if value is None:
        return ''
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return jsonutils.dumps(value)
    if isinstance(value, (bool, int, float)):
        return str(value)
    raise ValueError('%s: cannot use %r as text' % (what, value))


def resolve(snippet, resolver):
    """The value of ``snippet`` with every function call computed.

    :raises: ValueError when an argument resolves to a wrong type;
        InvalidTemplate when an output is over its limit.
    """
    name = function_name(snippet)
    if name is None:
        if isinstance(snippet, dict):
            return {key: resolve(value, resolver)
                    for key, value in snippet.items()}
        if isinstance(snippet, list):
            return [resolve(value, resolver) for value in snippet]
        return snippet
    args = snippet[name]
    budget = resolver.budget
    if name == GET_PARAM:
        args = resolve(args if isinstance(args, list) else [args],
                       resolver)
        return budget.charge(name, _follow(resolver.get_param(args[0]),
                                           args[1:]))
    if name == GET_RESOURCE:
        return resolver.get_resource(args)
    if name == GET_ATTR:
        rest = resolve(args[1:], resolver)
        return budget.charge(name, _follow(
            resolver.get_attr(args[0], rest[0]), rest[1:]))
    if name == GET_FILE:
        return budget.charge(name, resolver.get_file(args))
    if name == STR_REPLACE:
        return budget.charge(name, _str_replace(
            resolve(args['template'], resolver),
            resolve(args['params'], resolver), budget))
    if name == LIST_JOIN:
        return budget.charge(name, _list_join(resolve(args, resolver),
                                              budget))
    raise ValueError('Unknown function %s' % name)


def _str_replace(text, params, budget):
    if not isinstance(text, str):
        raise ValueError('"str_replace" template must be a string')
    if not isinstance(params, dict):
        raise ValueError('"str_replace" params must be a mapping')
    if not params:
        return text
    values = {str(key): _as_text(value, 'str_replace')
              for key, value in params.items()}
    values.pop('', None)
    if not values:
        return text
    if len(values) == 1:
        ((key, value),) = values.items()
        budget.check_size(STR_REPLACE, len(text) + text.count(key) *
                          (len(value) - len(key)))
        return text.replace(key, value)
    # Longest keys first, one pass: a replaced value is never replaced
    # again, as in Heat. RE2 (linear) on the caller's keys, and the size
    # known before the result is built.
    keys = sorted(values, key=lambda k: (-len(k), k))
    pattern = limits.literal_alternation(keys)
    pieces = []
    size = position = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        value = values[match.group(0)]
        pieces.append(text[position:start])
        pieces.append(value)
        size += start - position + len(value)
        position = end
        if size + len(text) - position > budget.per_value:
            budget.check_size(STR_REPLACE, size + len(text) - position)
    pieces.append(text[position:])
    return ''.join(pieces)


def _list_join(args, budget):
    delimiter = args[0]
    if not isinstance(delimiter, str):
        raise ValueError('"list_join" delimiter must be a string')
    items = []
    size = 0
    for value in args[1:]:
        if value is None:
            continue
        if not isinstance(value, list):
            raise ValueError('"list_join" must join lists, not %r'
                             % (value,))
        for item in value:
            items.append(_as_text(item, 'list_join'))
            size += len(items[-1]) + len(delimiter)
            if size > budget.per_value:
                budget.check_size(LIST_JOIN, size)
    return delimiter.join(items)
