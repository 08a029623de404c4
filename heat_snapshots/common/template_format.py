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

"""Template text (YAML or JSON) parsed with nothing that expands.

The one YAML loader of heat-snapshots, for the API's request bodies, the
stack store's templates, environments and parameters, and the nested
templates a snapshot walk reads. Bounded by ``[heat_snapshots_templates]``
(conf/templates.py): anchors and aliases are refused when the parser meets
them, before any node is composed from them (a few hundred bytes of
aliases expand to gigabytes once serialised), and size, depth and node
count are capped while composing, so a document past them is never built.
"""

import yaml

from heat_snapshots import conf as hs_conf

GROUP = 'heat_snapshots_templates'


class Invalid(ValueError):
    """Text that is no template: ``message`` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class Refused(Invalid):
    """Text over a limit, or with anchors or aliases.

    ``reason`` says what, naming the option; ``message`` is the sentence
    naming the text too.
    """

    def __init__(self, what, reason, sentence='The %s is refused: %s.'):
        super().__init__(sentence % (what, reason))
        self.reason = reason


class Malformed(Invalid):
    """A YAML or JSON syntax error."""


def options():
    """The ``[heat_snapshots_templates]`` options in force."""
    return getattr(hs_conf.CONF, GROUP)


def option_name(name):
    return '%s.%s' % (GROUP, name)


class _Refused(yaml.YAMLError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class SafeLoader(yaml.SafeLoader):
    """YAML as Heat reads it, with nothing that expands.

    Dates stay strings (2013-05-23).
    """

    def __init__(self, stream):
        super().__init__(stream)
        limits = options()
        self._max_nodes = limits.max_document_nodes
        self._max_depth = limits.max_document_depth
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or \
                getattr(event, 'anchor', None) is not None:
            raise _Refused(
                'YAML anchors and aliases ("&%s", "*%s") are not allowed '
                '(line %d)' % (event.anchor, event.anchor,
                               event.start_mark.line + 1))
        self._nodes += 1
        if self._nodes > self._max_nodes:
            raise _Refused('more than %d values (%s)'
                           % (self._max_nodes,
                              option_name('max_document_nodes')))
        self._depth += 1
        try:
            if self._depth > self._max_depth:
                raise _Refused('nested deeper than %d levels (%s)'
                               % (self._max_depth,
                                  option_name('max_document_depth')))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


SafeLoader.add_constructor(
    'tag:yaml.org,2002:timestamp',
    lambda loader, node: loader.construct_scalar(node))


def load(text, what='template'):
    """``text`` (YAML or JSON) parsed, within the limits.

    :param what: what the text is, for messages.
    :raises: Refused for text over max_template_size, anchors or aliases,
        too many values or levels; Malformed for a syntax error.
    """
    limits = options()
    if len(text) > limits.max_template_size:
        raise Refused(what, '%d bytes, more than %d (%s)'
                      % (len(text), limits.max_template_size,
                         option_name('max_template_size')),
                      sentence='The %s is %s.')
    try:
        return yaml.load(text, Loader=SafeLoader)  # nosec B506
    except _Refused as refused:
        raise Refused(what, refused.message)
    except yaml.YAMLError as syntax:
        raise Malformed(str(syntax))
    except RecursionError:
        raise Refused(what, 'nested too deeply (%s)'
                      % option_name('max_document_depth'))


def walk(document, too_many):
    """Each value of a parsed ``document`` with its depth (1 for the
    document itself), a parent before its children.

    A value shared by several parents (what YAML aliases or repeated
    references make) is met each time, and the walk stops after
    max_document_nodes values whatever the document expands to, so a
    caller checking each value costs at most that many steps. Children
    are queued once the caller is back, so a caller that raises on a
    value never walks what is under it.

    :param too_many: called with max_document_nodes when the document has
        more values; returns the exception to raise.
    """
    max_nodes = options().max_document_nodes
    nodes = 0
    # Values and their depths in two lists: no object kept per value, so
    # a large document does not feed the garbage collector (a full
    # collection stops every thread of the process).
    pending = [document]
    depths = [1]
    while pending:
        value = pending.pop()
        depth = depths.pop()
        nodes += 1
        if nodes > max_nodes:
            raise too_many(max_nodes)
        yield value, depth
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, (list, tuple)):
            children = value
        else:
            continue
        pending.extend(children)
        depths.extend([depth + 1] * len(children))
