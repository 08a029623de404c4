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

"""What a template may cost the local stack store, and nothing more.

A request body is small, but what it describes need not be: YAML aliases
expand a few hundred bytes into gigabytes, nested intrinsic functions
multiply their output at each level, and a backtracking regular
expression takes time exponential in the value's length (holding the
GIL, so the whole process stops). Everything here is bounded by the
options of ``[heat_snapshots_templates]`` (conf/templates.py), and every
refusal is a 400 whose message names the option:

* ``load_yaml`` parses text with the one loader (common/template_format),
  which refuses anchors and aliases before anything is expanded, and caps
  size, depth and node count while composing;
* ``check_document`` caps a parsed document (a dict given as such, a JSON
  parameter, the files) by depth, nodes and size, every repetition of a
  shared value counted;
* ``Budget`` caps what intrinsic functions produce, per value and per
  stack;
* ``Pattern`` runs ``allowed_pattern`` with RE2 (linear time, bounded
  memory), never Python's ``re``.
"""

import functools

from oslo_serialization import jsonutils
import re2

from heat_snapshots.common import exception
from heat_snapshots.common import template_format

GROUP = template_format.GROUP
options = template_format.options
_option = template_format.option_name


def _limit(reason):
    # InvalidTemplate itself, not a subclass: only the classes of
    # common/exception.py cross RPC as themselves (a 400, not a 500); and
    # not a ValueError: a function's output over its cap refuses the
    # stack instead of being stored unresolved like an argument of the
    # wrong type.
    return exception.InvalidTemplate(reason=reason)


def _refuse(error, message):
    """``error(message)`` with the exception class's own arguments."""
    if error is exception.InvalidTemplate:
        return error(reason=message)
    return error(message)


# --- YAML ---------------------------------------------------------------

def load_yaml(text, what='template', error=exception.InvalidTemplate):
    """``text`` (YAML or JSON) parsed, within the limits.

    :param what: what the text is, for messages.
    :param error: the exception class to raise.
    :raises: ``error`` for text over max_template_size, anchors or
        aliases, too many values or levels, or a syntax error.
    """
    try:
        return template_format.load(text, what)
    except template_format.Malformed as syntax:
        raise _refuse(error, 'Error parsing %s: %s' % (what, syntax))
    except template_format.Refused as refused:
        raise _refuse(error, refused.message)


# --- parsed documents -----------------------------------------------------

def _scalar_size(value):
    if isinstance(value, str):
        return len(value) + 2
    if value is None or isinstance(value, bool):
        return 5
    return len(str(value)) if isinstance(value, int) else 24


def check_document(document, what='template',
                   error=exception.InvalidTemplate, max_size=None):
    """Refuse a parsed document over depth, node or size limits.

    A value shared by several parents (what YAML aliases or repeated
    references make) is counted each time: the check costs at most
    max_document_nodes steps whatever the document expands to.

    :param max_size: the largest size in bytes (its strings, keys and
        numbers), by default max_template_size.
    :returns: the document's size.
    :raises: ``error`` naming the limit.
    """
    limits = options()
    max_depth = limits.max_document_depth
    if max_size is None:
        max_size = limits.max_template_size
        size_option = _option('max_template_size')
    else:
        size_option = _option('max_files_size')
    size = 0

    def too_many(limit):
        return _refuse(error, 'The %s has more than %d values (%s).'
                       % (what, limit, _option('max_document_nodes')))

    for value, depth in template_format.walk(document, too_many):
        if isinstance(value, (dict, list, tuple)):
            if depth > max_depth:
                raise _refuse(error, 'The %s is nested deeper than %d '
                                     'levels (%s).'
                              % (what, max_depth,
                                 _option('max_document_depth')))
            size += 2
            if isinstance(value, dict):
                for key in value:
                    size += _scalar_size(key) + 1
            else:
                size += len(value)
        else:
            size += _scalar_size(value)
        if size > max_size:
            raise _refuse(error, 'The %s is larger than %d bytes (%s).'
                          % (what, max_size, size_option))
    return size


def check_files(files):
    """Refuse ``files`` that are not a map of texts or are over limits.

    :raises: Invalid naming the limit.
    """
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str)
            for k, v in files.items()):
        raise exception.Invalid(
            message='The files must be a map of file names to contents.')
    limits = options()
    total = 0
    for name, content in files.items():
        total += len(name) + len(content)
        if total > limits.max_files_size:
            raise exception.Invalid(
                message='The files are larger than %d bytes (%s).'
                        % (limits.max_files_size,
                           _option('max_files_size')))


def load_json_parameter(name, text):
    """A ``json`` parameter's text parsed, within the document limits.

    :raises: InvalidParameter naming the parameter and the limit.
    """
    def error(message):
        return exception.InvalidParameter(name=name, reason=message)

    limits = options()
    if len(text) > limits.max_template_size:
        raise error('The value is %d bytes, more than %d (%s).'
                    % (len(text), limits.max_template_size,
                       _option('max_template_size')))
    try:
        value = jsonutils.loads(text)
    except RecursionError:
        raise error('The value is nested deeper than %d levels (%s).'
                    % (limits.max_document_depth,
                       _option('max_document_depth')))
    check_document(value, 'value', error)
    return value


# --- intrinsic functions' output -----------------------------------------

class Budget:
    """What intrinsic functions may produce for one stack.

    ``charge`` each function's result: a result over
    max_function_output_size, or results adding up to more than
    max_stack_function_output_size, raise InvalidTemplate A value
    charged again (the same parameter read twice) is measured once.
    """

    def __init__(self):
        limits = options()
        self.per_value = limits.max_function_output_size
        self.total = limits.max_stack_function_output_size
        self.used = 0
        self._sizes = {}

    def _over_value(self, function, size):
        return _limit('The output of "%s" is larger than %d bytes (%s).'
                      % (function, self.per_value,
                         _option('max_function_output_size')))

    def check_size(self, function, size):
        """Refuse ``size`` bytes of output before it is built."""
        if size > self.per_value:
            raise self._over_value(function, size)
        if self.used + size > self.total:
            raise _limit('The intrinsic functions of the stack produce '
                         'more than %d bytes (%s).'
                         % (self.total,
                            _option('max_stack_function_output_size')))

    def charge(self, function, value):
        """:returns: ``value``, once its size is within the limits."""
        if isinstance(value, str):
            size = len(value) + 2
        elif isinstance(value, (dict, list)):
            known = self._sizes.get(id(value))
            if known is not None and known[0] is value:
                size = known[1]
            else:
                size = self._measure(value, min(self.per_value,
                                                self.total - self.used))
                self._sizes[id(value)] = (value, size)
        else:
            size = _scalar_size(value)
        self.check_size(function, size)
        self.used += size
        return value

    @staticmethod
    def _measure(value, limit):
        """The JSON size of ``value``, or a little more than ``limit``."""
        size = 0
        pending = [value]
        while pending and size <= limit:
            item = pending.pop()
            if isinstance(item, dict):
                size += 2
                for key, inner in item.items():
                    size += _scalar_size(key) + 1
                    pending.append(inner)
            elif isinstance(item, (list, tuple)):
                size += 2 + len(item)
                pending.extend(item)
            else:
                size += _scalar_size(item)
        return size


# --- allowed_pattern ------------------------------------------------------

class PatternError(Exception):
    """A pattern RE2 does not run: invalid, unsupported or too large."""


@functools.lru_cache(maxsize=256)
def _compile(pattern, max_mem):
    compile_options = re2.Options()
    compile_options.log_errors = False
    compile_options.max_mem = max_mem
    try:
        return re2.compile(pattern, compile_options)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode('utf-8', 'replace')
        raise PatternError(str(reason))


def compile_pattern(pattern):
    """``pattern`` compiled by RE2, in linear time and bounded memory.

    :raises: PatternError saying why it cannot be used (too long, a
        back-reference or look-around RE2 does not have, too large).
    """
    limits = options()
    if not isinstance(pattern, str):
        raise PatternError('the pattern must be a string')
    if len(pattern) > limits.max_pattern_length:
        raise PatternError('the pattern is longer than %d characters (%s)'
                           % (limits.max_pattern_length,
                              _option('max_pattern_length')))
    try:
        return _compile(pattern, limits.max_pattern_memory)
    except PatternError as error:
        raise PatternError('%s (RE2 syntax; back-references and '
                           'look-arounds are not supported; %s limits its '
                           'size)' % (error, _option('max_pattern_memory')))


def pattern_matches(pattern, value):
    """Whether the whole of ``value`` matches ``pattern``.

    :raises: PatternError for a pattern that cannot be used or a value
        longer than max_pattern_value_length.
    """
    compiled = compile_pattern(pattern)
    limits = options()
    if len(value) > limits.max_pattern_value_length:
        raise PatternError('the value is longer than %d characters (%s)'
                           % (limits.max_pattern_value_length,
                              _option('max_pattern_value_length')))
    return compiled.fullmatch(value) is not None


def literal_alternation(keys):
    """An RE2 pattern matching any of ``keys``, longest first."""
    compile_options = re2.Options()
    compile_options.log_errors = False
    compile_options.max_mem = options().max_pattern_memory * 4
    try:
        return re2.compile('|'.join(re2.escape(key) for key in keys),
                           compile_options)
    except re2.error:
        raise _limit('"str_replace" has too many or too long params (%s).'
                     % _option('max_pattern_memory'))
