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

"""Bodies of the stack endpoints of the local stack driver.

Field names and types are Heat's (python-heatclient sends these). Missing
``stack_name`` / ``template`` are reported by the controller with Heat's
messages.
"""

from heat_snapshots.common import stack_names

_template = {
    'title': 'template',
    'type': ['object', 'string'],
}

_properties = {
    'template': _template,
    'template_url': {'title': 'template_url', 'type': ['string', 'null']},
    'parameters': {'title': 'parameters', 'type': ['object', 'null']},
    'files': {
        'title': 'files',
        'type': ['object', 'null'],
        'additionalProperties': {'title': 'file content',
                                 'type': 'string'},
    },
    'environment': {'title': 'environment',
                    'type': ['object', 'string', 'null']},
    'tags': {
        'title': 'tags',
        'type': ['string', 'array', 'null'],
        'items': {'type': 'string'},
    },
    # Heat accepts numbers as strings too ("60").
    'timeout_mins': {
        'title': 'timeout_mins',
        'type': ['integer', 'string', 'null'],
    },
    'disable_rollback': {
        'title': 'disable_rollback',
        'type': ['boolean', 'string', 'null'],
    },
}

create = {
    'type': 'object',
    'properties': dict(_properties, stack_name={
        'title': 'stack name',
        'type': 'string',
        'minLength': 1,
        'maxLength': stack_names.MAX_LENGTH,
        'pattern': stack_names.SCHEMA_PATTERN,
        'x-pattern-message': 'it must start with a letter and contain only '
                             'letters, digits, "_", "-" and ".".',
    }),
    'additionalProperties': True,
}

update = {
    'type': 'object',
    'properties': _properties,
    'additionalProperties': True,
}
