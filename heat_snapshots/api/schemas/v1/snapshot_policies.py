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

"""Bodies of POST and PATCH /v1/{tenant_id}/snapshot_policies[/{id}]."""

NAME_MAX_LENGTH = 255

_COUNT = {'type': 'integer', 'minimum': 0, 'maximum': 100000}

_STRINGS = {
    'type': 'array',
    'minItems': 1,
    'maxItems': 100,
    'uniqueItems': True,
    'items': {'type': 'string', 'minLength': 1, 'maxLength': 255},
}

_PROPERTIES = {
    'name': {
        'title': 'policy name',
        'type': 'string',
        'minLength': 1,
        'maxLength': NAME_MAX_LENGTH,
    },
    'stacks': {
        'title': 'policy stacks',
        'type': 'object',
        'properties': {
            'ids': dict(_STRINGS, title='policy stack ids'),
            'tags': dict(_STRINGS, title='policy stack tags'),
        },
        # Stack ids, or stack tags: one of them.
        'minProperties': 1,
        'maxProperties': 1,
        'additionalProperties': False,
    },
    'schedule': {
        'title': 'policy schedule',
        'type': 'object',
        'properties': {
            'cron': {'title': 'schedule cron', 'type': 'string',
                     'minLength': 1, 'maxLength': 255},
            'timezone': {'title': 'schedule timezone', 'type': 'string',
                         'minLength': 1, 'maxLength': 64},
        },
        'required': ['cron'],
        'additionalProperties': False,
    },
    'retention': {
        'title': 'policy retention',
        'type': 'object',
        'properties': {
            'keep_last': dict(_COUNT, title='retention keep_last'),
            'keep_hourly': dict(_COUNT, title='retention keep_hourly'),
            'keep_daily': dict(_COUNT, title='retention keep_daily'),
            'keep_weekly': dict(_COUNT, title='retention keep_weekly'),
            'keep_monthly': dict(_COUNT, title='retention keep_monthly'),
            'max_age': {'title': 'retention max_age',
                        'type': 'integer', 'minimum': 0},
        },
        'additionalProperties': False,
    },
    'keep_after_stack_delete': {'title': 'keep_after_stack_delete',
                                'type': 'boolean'},
    'enabled': {'title': 'enabled', 'type': 'boolean'},
}

_POLICY = {
    'title': 'policy',
    'type': 'object',
    'properties': _PROPERTIES,
    'additionalProperties': False,
}

create = {
    'type': 'object',
    'properties': {
        'policy': dict(_POLICY, required=['name', 'stacks', 'schedule']),
    },
    'required': ['policy'],
    'additionalProperties': False,
}

update = {
    'type': 'object',
    'properties': {
        'policy': dict(_POLICY, minProperties=1),
    },
    'required': ['policy'],
    'additionalProperties': False,
}
