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

"""Parameters a template declares ``hidden``, masked as Heat masks them.

Heat prints a hidden parameter's value as ``******`` in stack show and in
the environment it shows (``hidden: true`` in HOT, ``NoEcho: 'true'`` in
CFN), deciding with the schemas of the stack's template and of every
template among its files, the stack's own template first
(``Template.all_param_schemata``). A snapshot's ``data`` holds the
environment the stack was made with: it is stored intact, for restore,
and masked the same way wherever the API shows it.

The ``heat`` stack driver reads the environment from Heat, which has
masked it already: such a snapshot holds ``******``, not the value
(``masked_names``).
"""

import copy
import json

from oslo_log import log as logging

from heat_snapshots.common import template_format

LOG = logging.getLogger(__name__)

MASK = '******'

# The environment's sections that hold parameter values.
SECTIONS = ('parameters', 'parameter_defaults')


def _as_template(template):
    """A template dict from a dict or its YAML/JSON text, else None."""
    if isinstance(template, bytes):
        template = template.decode('utf-8', 'replace')
    if isinstance(template, str):
        try:
            template = template_format.load(template)
        except template_format.Invalid:
            # Not a template (a script, a config file): as Heat, skip it.
            return None
    return template if isinstance(template, dict) else None


def _schemas(template):
    """{name: hidden?} for the parameters ``template`` declares."""
    template = _as_template(template)
    if template is None:
        return {}
    result = {}
    hot = template.get('parameters')
    if isinstance(hot, dict):
        for name, schema in hot.items():
            if isinstance(schema, dict):
                result[name] = bool(schema.get('hidden'))
    cfn = template.get('Parameters')
    if isinstance(cfn, dict):
        for name, schema in cfn.items():
            if isinstance(schema, dict):
                result[name] = str(schema.get('NoEcho',
                                              'false')).lower() == 'true'
    return result


def _named(environment):
    names = set()
    for section in SECTIONS:
        values = (environment or {}).get(section)
        if isinstance(values, dict):
            names.update(values)
    return names


def hidden_names(names, template, files=None):
    """Which of ``names`` the stack's templates declare hidden.

    The stack's template decides for the parameters it declares; the
    templates among ``files`` (parsed only when some name is left) for
    the others, as Heat's ``all_param_schemata``.
    """
    names = set(names)
    if not names:
        return set()
    own = _schemas(template)
    hidden = {name for name in names if own.get(name)}
    left = names - set(own)
    for text in (files or {}).values():
        if not left:
            break
        schemas = _schemas(text)
        hidden.update(name for name in left if schemas.get(name))
    return hidden


def mask_environment(environment, template, files=None):
    """``environment`` with its hidden parameters' values ``******``.

    :returns: a copy when something is masked; ``environment`` itself
        otherwise.
    """
    if not isinstance(environment, dict):
        return environment
    hidden = hidden_names(_named(environment), template, files)
    if not hidden:
        return environment
    masked = dict(environment)
    for section in SECTIONS:
        values = environment.get(section)
        if isinstance(values, dict) and hidden.intersection(values):
            masked[section] = {
                name: MASK if name in hidden else copy.deepcopy(value)
                for name, value in values.items()}
    return masked


def mask_stack_data(data):
    """A snapshot's ``data`` as the API shows it: hidden values masked.

    :returns: a copy when something is masked; ``data`` itself otherwise.
    """
    if not isinstance(data, dict):
        return data
    environment = data.get('environment')
    masked = mask_environment(environment, data.get('template'),
                              data.get('files'))
    if masked is environment:
        return data
    return dict(data, environment=masked)


def _may_hide(text):
    """Whether the text of a snapshot's data may declare a hidden
    parameter: it holds HOT's ``hidden`` or CFN's ``NoEcho``, or an escaped
    backslash (a YAML or JSON escape in a file's text, which could spell
    either). JSON's own escapes never spell an ASCII letter.
    """
    # One backslash is looked for first: a one-character search is a
    # memchr, a hundredth of the two-character one, and most data holds
    # no backslash at all (a list reads the data of every snapshot).
    return ('hidden' in text or 'NoEcho' in text or
            ('\\' in text and '\\\\' in text))


def mask_stack_data_json(text):
    """``mask_stack_data`` of a snapshot's data stored as JSON text.

    ``text`` is json.dumps' text of the data (as types.Json stores it), so
    it is what the API would send for the decoded data: it is returned
    as it is, undecoded, unless a hidden parameter's value is masked.

    :returns: JSON text ('null' for None).
    """
    if text is None:
        return 'null'
    if not _may_hide(text):
        return text
    data = json.loads(text)
    masked = mask_stack_data(data)
    if masked is data:
        return text
    return json.dumps(masked)


def masked_names(environment, template, files=None):
    """{section: [names]} of hidden parameters whose value is ``******``.

    What Heat's masked environment gave the ``heat`` driver in place of
    the value: never to be sent back to Heat as one.
    """
    if not isinstance(environment, dict):
        return {}
    candidates = {name for section in SECTIONS
                  for name, value in (environment.get(section) or {}).items()
                  if value == MASK}
    hidden = hidden_names(candidates, template, files)
    result = {}
    for section in SECTIONS:
        values = environment.get(section) or {}
        names = sorted(name for name, value in values.items()
                       if value == MASK and name in hidden)
        if names:
            result[section] = names
    return result
