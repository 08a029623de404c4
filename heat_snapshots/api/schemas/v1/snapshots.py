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

"""Bodies of POST /v1/{tenant_id}/stacks/{stack_name}/{stack_id}/snapshots
and of its ``/{snapshot_id}/clone``.
"""

from heat_snapshots.api.schemas.v1 import stacks

# Heat stores the name in a VARCHAR(255).
NAME_MAX_LENGTH = 255

create = {
    'type': 'object',
    'properties': {
        'name': {
            'title': 'snapshot name',
            # Heat takes numbers and booleans and stores them as strings;
            # the controller converts them. Objects and lists are refused.
            'type': ['string', 'null', 'number', 'boolean'],
            'x-shown-types': ['string', 'null'],
            'maxLength': NAME_MAX_LENGTH,
        },
    },
    # Heat ignores unknown keys; so do we.
    'additionalProperties': True,
}

# heat-snapshots' own: a new stack from a snapshot.
clone = {
    'type': 'object',
    'properties': {
        'stack_name': stacks.create['properties']['stack_name'],
        'parameters': {'title': 'parameters', 'type': ['object', 'null']},
        'environment': {'title': 'environment',
                        'type': ['object', 'null']},
    },
    'required': ['stack_name'],
    # As Heat's stack create: unknown keys are ignored.
    'additionalProperties': True,
}
