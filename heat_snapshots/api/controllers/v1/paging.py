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

"""The query parameters of a page of snapshots (heat-snapshots'
extension), one rule for the stack's list and the project's: Heat's own
list of a stack's snapshots takes none of them.
"""

from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.common import exception
from heat_snapshots.common import states

PARAMS = ('limit', 'marker', 'sort_keys', 'sort_dir', 'status', 'name')
SORT_KEYS = ('created_at', 'name', 'status')
SORT_DIRS = ('asc', 'desc')
STATUSES = (states.IN_PROGRESS, states.COMPLETE, states.FAILED)


def requested(params):
    """Whether the query asks for a page (any of PARAMS)."""
    return any(name in params for name in PARAMS)


def _values(params, name):
    """Every value of a repeatable parameter, comma lists split."""
    values = []
    for value in params.getall(name):
        values.extend(v.strip() for v in value.split(',') if v.strip())
    return values


def _allowed_values(params, name, allowed, what):
    """The values of ``name`` (see _values), each one of ``allowed``.

    :raises: BadRequest naming ``what`` for an unknown or no value.
    """
    values = _values(params, name)
    unknown = [v for v in values if v not in allowed]
    if unknown or not values:
        raise exception.BadRequest(
            'Invalid %s: %s. Allowed: %s.'
            % (what, ', '.join(unknown) or "''", ', '.join(allowed)))
    return values


def snapshot_page(params):
    """{limit, marker, sort_keys, sort_dir, filters} of the query; only
    the keys it gives.

    :raises: BadRequest (Heat's 400) for a value that is not allowed.
    """
    page = {}
    if 'limit' in params:
        page['limit'] = utils.int_arg('limit', params['limit'], clamp=True)
    if 'marker' in params:
        page['marker'] = params['marker']
    if 'sort_keys' in params:
        keys = _allowed_values(params, 'sort_keys', SORT_KEYS, 'sort key(s)')
        page['sort_keys'] = list(dict.fromkeys(keys))
    if 'sort_dir' in params:
        direction = params['sort_dir']
        if direction not in SORT_DIRS:
            raise exception.BadRequest(
                'Unknown sort direction \'%s\', must be one of: %s.'
                % (direction, ', '.join(SORT_DIRS)))
        page['sort_dir'] = direction
    filters = {}
    if 'status' in params:
        filters['status'] = _allowed_values(params, 'status', STATUSES,
                                            'status filter')
    if 'name' in params:
        filters['name'] = params.getall('name')
    if filters:
        page['filters'] = filters
    return page
