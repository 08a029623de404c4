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

"""Heat's own resource types: in the stack store, and as snapshot plugins.

One class per type serves both contracts:

* the store's stack CRUD (``handle_create``, ``handle_update``,
  ``restore_data``, ``handle_delete``, ``run``, with the resource's
  properties; an instance from ``named()``): each type has Heat's
  properties and attributes. Nothing physical is made: a resource is its
  physical id (a uuid), its data (``resource_data`` in Heat's abandon
  format) and its attributes;
* the engine's snapshot plugin contract (engine/resources/base.py: entry
  points ``heat_snapshots.resources``), for a stack of any driver:
  ``OS::Heat::None`` and ``OS::Heat::Value`` keep their data, as Heat
  does; ``OS::Heat::RandomString`` keeps its value;
  ``OS::Heat::TestResource`` stands in for a resource with a real backup:
  it writes an artifact into the store's test artifact table.

``OS::Heat::TestResource`` can wait and fail on demand (``Step``, one
mechanism for both contracts) so that tests can hold or break any step.
"""

import random
import string
import time

from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import strutils

from heat_snapshots.common import exception
from heat_snapshots.engine.resources import base as plugin_base
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.localstack import functions

LOG = logging.getLogger(__name__)

# What a resource does in a step; TestResource waits and fails by it.
CREATE = 'create'
UPDATE = 'update'
DELETE = 'delete'
RESTORE = 'restore'
SNAPSHOT = 'snapshot'
DELETE_SNAPSHOT = 'delete_snapshot'
OPERATIONS = (CREATE, UPDATE, DELETE, SNAPSHOT, RESTORE, DELETE_SNAPSHOT)


class PropertyError(ValueError):
    """A property value does not fit its schema."""


class Schema:
    """One property: its type, default and constraints.

    :param type: 'string', 'integer', 'number', 'boolean', 'list', 'map'
        or 'any'.
    :param schema: for a list, the Schema of its items; for a map, a dict
        of Schemas of its keys.
    """

    def __init__(self, type, default=None, required=False,
                 allowed_values=None, min_value=None, max_value=None,
                 schema=None):
        self.type = type
        self.default = default
        self.required = required
        self.allowed_values = allowed_values
        self.min_value = min_value
        self.max_value = max_value
        self.schema = schema

    def convert(self, value, path, partial=False):
        """The value with the schema's type, defaults filled in.

        :param partial: skip values that are still function calls.
        :raises: PropertyError naming ``path``.
        """
        if partial and _is_function(value):
            return value
        if value is None:
            return self.default
        converted = self._convert_type(value, path, partial)
        if self.allowed_values is not None and \
                converted not in self.allowed_values:
            raise PropertyError(
                '%s: "%s" is not an allowed value %s'
                % (path, converted, sorted(self.allowed_values)))
        if self.min_value is not None and converted < self.min_value:
            raise PropertyError('%s: %s is out of range (min: %s, max: %s)'
                                % (path, converted, self.min_value,
                                   self.max_value))
        if self.max_value is not None and converted > self.max_value:
            raise PropertyError('%s: %s is out of range (min: %s, max: %s)'
                                % (path, converted, self.min_value,
                                   self.max_value))
        return converted

    def _convert_type(self, value, path, partial):
        if self.type == 'any':
            return value
        if self.type == 'string':
            if isinstance(value, str):
                return value
            if isinstance(value, (bool, int, float)):
                return str(value)
            raise PropertyError('%s: Value must be a string; got %s'
                                % (path, jsonutils.dumps(value)))
        if self.type in ('integer', 'number'):
            return to_number(value, path, self.type == 'integer')
        if self.type == 'boolean':
            try:
                return strutils.bool_from_string(str(value), strict=True)
            except ValueError as error:
                raise PropertyError('%s: %s' % (path, error))
        if self.type == 'list':
            if not isinstance(value, list):
                raise PropertyError('%s: Value must be a list; got %s'
                                    % (path, jsonutils.dumps(value)))
            if self.schema is None:
                return value
            return [self.schema.convert(item, '%s[%d]' % (path, index),
                                        partial)
                    for index, item in enumerate(value)]
        if self.type == 'map':
            if not isinstance(value, dict):
                raise PropertyError('%s: Value must be a map; got %s'
                                    % (path, jsonutils.dumps(value)))
            if self.schema is None:
                return value
            return convert_properties(self.schema, value, path, partial)
        raise PropertyError('%s: unknown type %s' % (path, self.type))


def to_number(value, path, integer):
    if isinstance(value, bool):
        raise PropertyError('%s: Value must be a number; got %s'
                            % (path, value))
    if isinstance(value, (int, float)):
        number = value
    else:
        try:
            number = int(value)
        except (TypeError, ValueError):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise PropertyError('%s: Value \'%s\' is not a number'
                                    % (path, value))
    if integer:
        if isinstance(number, float) and not number.is_integer():
            raise PropertyError('%s: Value \'%s\' is not an integer'
                                % (path, value))
        number = int(number)
    return number


def _is_function(value):
    return functions.function_name(value) is not None


def convert_properties(schemas, values, path, partial=False):
    """Check ``values`` against ``schemas``; defaults filled in.

    :raises: PropertyError naming the unknown, missing or bad property.
    """
    values = values or {}
    for key in values:
        if key not in schemas:
            raise PropertyError('%s: Unknown Property %s' % (path, key))
    result = {}
    for key, schema in schemas.items():
        value = values.get(key)
        where = '%s.%s' % (path, key)
        if value is None and schema.required and schema.default is None:
            raise PropertyError('%s: Property %s not assigned'
                                % (where, key))
        result[key] = schema.convert(value, where, partial)
    return result


class Step:
    """One operation of a TestResource: its wait, then its failure, as
    Heat's TestResource has them.

    The wait starts when the step is made; ``complete()`` polls it (the
    snapshot plugin contract), ``wait()`` blocks on it (stack CRUD, in a
    worker thread). A negative wait lasts for ever.
    """

    def __init__(self, name, properties, operation):
        self.name = name
        self.properties = properties or {}
        self.operation = operation
        secs = wait_secs(self.properties, operation)
        self.ready_at = (float('inf') if secs < 0
                         else time.monotonic() + secs)

    def ready_in(self):
        """Seconds until the wait is over (0 once it is; None for ever).
        """
        if self.ready_at == float('inf'):
            return None
        return max(0.0, self.ready_at - time.monotonic())

    def check_fail(self):
        """:raises: ResourceFailure if the step fails."""
        if fails(self.properties, self.operation):
            raise exception.ResourceFailure(
                reason='Test Resource failed %s' % self.name)

    def complete(self):
        """Whether the wait is over; then the failure, if any, is raised.
        """
        if time.monotonic() < self.ready_at:
            return False
        self.check_fail()
        return True

    def wait(self, deadline=None):
        """Block until ``complete()``.

        :raises: OperationTimeout at ``deadline`` (a monotonic time).
        """
        while not self.complete():
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise exception.OperationTimeout(
                    operation='Resource wait',
                    seconds=wait_secs(self.properties, self.operation))
            limits = [0.05, self.ready_at - now]
            if deadline is not None:
                limits.append(deadline - now)
            time.sleep(max(min(limits), 0))


class ResourceType(plugin_base.ResourcePlugin):
    """OS::Heat::None's behaviour, the base of all types.

    The stack CRUD methods get the resource's properties as resolved and
    converted, and return its new data; attributes are computed from
    properties and data. The snapshot plugin methods are
    ResourcePlugin's: the snapshot is the resource's own data.
    """

    type_name = None
    properties_schema = {}
    attributes = ()
    any_properties = False
    any_attributes = False
    #: Whether its create, update and restore take no time and make
    #: nothing outside the store (``run`` does nothing): the store then
    #: writes the step's start with its outcome, one change, both events
    #: recorded. False by default: a type that waits shows its step
    #: IN_PROGRESS while it does.
    instant = False

    @classmethod
    def named(cls, name):
        """The type's behaviour for the resource ``name`` of a store's
        stack (no snapshot).
        """
        return cls(None, None, stacks_base.Resource(name=name,
                                                    type=cls.type_name),
                   None)

    @property
    def name(self):
        return self.resource.name

    @classmethod
    def has_attribute(cls, attribute):
        return (cls.any_attributes or attribute in cls.attributes
                or attribute == 'show')

    @classmethod
    def check_properties(cls, properties, path, partial=False):
        """Properties converted to their types; raises PropertyError."""
        if cls.any_properties:
            return dict(properties or {})
        return convert_properties(cls.properties_schema, properties, path,
                                  partial)

    def resolve_attributes(self, properties, data):
        return {}

    def needs_replace(self, old_properties, new_properties):
        """Whether changed properties need a new resource."""
        return False

    def handle_create(self, properties):
        """:returns: the new resource's data."""
        return {}

    def handle_update(self, properties, data):
        """Update in place; :returns: the new data."""
        return dict(data or {})

    def restore_data(self, properties, data, snapshot_data):
        """Put back what a snapshot recorded; :returns: the new data."""
        return dict(data or {})

    def handle_delete(self, properties, data):
        pass

    def run(self, operation, properties, deadline=None):
        """The step's own time and outcome (TestResource waits, fails)."""


class NoneResource(ResourceType):
    type_name = 'OS::Heat::None'
    instant = True
    any_properties = True
    any_attributes = True

    def handle_create(self, properties):
        return {'is_placeholder': 'True'}


VALUE_TYPES = ('string', 'number', 'comma_delimited_list', 'json',
               'boolean')


class ValueResource(ResourceType):
    type_name = 'OS::Heat::Value'
    properties_schema = {
        'value': Schema('any', required=True),
        'type': Schema('string', allowed_values=VALUE_TYPES),
    }
    attributes = ('value',)
    instant = True

    @classmethod
    def check_properties(cls, properties, path, partial=False):
        result = super().check_properties(properties, path, partial)
        if not partial or not (_is_function(result['value'])
                               or _is_function(result['type'])):
            try:
                convert_value(result['value'], result['type'])
            except ValueError as error:
                raise PropertyError('%s.value: %s' % (path, error))
        return result

    def resolve_attributes(self, properties, data):
        return {'value': convert_value(properties.get('value'),
                                       properties.get('type'))}


def convert_value(value, value_type):
    """OS::Heat::Value's ``value`` as its ``type`` says."""
    if value_type is None or value is None:
        return value
    if value_type == 'string':
        if isinstance(value, (dict, list)):
            return jsonutils.dumps(value)
        return str(value)
    if value_type == 'number':
        return to_number(value, 'value', integer=False)
    if value_type == 'boolean':
        return strutils.bool_from_string(str(value), strict=True)
    if value_type == 'json':
        if isinstance(value, str):
            return jsonutils.loads(value)
        return value
    if value_type == 'comma_delimited_list':
        if isinstance(value, list):
            return [str(item) for item in value]
        return [item.strip() for item in str(value).split(',')]
    raise ValueError('unknown type %s' % value_type)


CHARACTER_CLASSES = {
    'lettersdigits': string.ascii_letters + string.digits,
    'letters': string.ascii_letters,
    'lowercase': string.ascii_lowercase,
    'uppercase': string.ascii_uppercase,
    'digits': string.digits,
    'hexdigits': string.digits + 'ABCDEF',
    'octdigits': string.octdigits,
}


class RandomStringResource(ResourceType):
    type_name = 'OS::Heat::RandomString'
    instant = True
    properties_schema = {
        'length': Schema('integer', default=32, min_value=1,
                         max_value=512),
        'sequence': Schema('string',
                           allowed_values=tuple(CHARACTER_CLASSES)),
        'character_classes': Schema('list', schema=Schema('map', schema={
            'class': Schema('string', default='lettersdigits',
                            allowed_values=tuple(CHARACTER_CLASSES)),
            'min': Schema('integer', default=1, min_value=1,
                          max_value=512),
        })),
        'character_sequences': Schema('list', schema=Schema('map', schema={
            'sequence': Schema('string', required=True),
            'min': Schema('integer', default=1, min_value=1,
                          max_value=512),
        })),
        'salt': Schema('string'),
    }
    attributes = ('value',)

    @classmethod
    def check_properties(cls, properties, path, partial=False):
        result = super().check_properties(properties, path, partial)
        if partial and any(_is_function(v) for v in result.values()):
            return result
        minimum = sum(item['min'] for item in
                      (result['character_classes'] or []) +
                      (result['character_sequences'] or [])
                      if isinstance(item.get('min'), int))
        if minimum > result['length']:
            raise PropertyError(
                '%s: Length property cannot be smaller than combined '
                'character class and character sequence minimums' % path)
        return result

    def resolve_attributes(self, properties, data):
        return {'value': (data or {}).get('value')}

    def needs_replace(self, old_properties, new_properties):
        # Heat: no property of a random string can change in place.
        return old_properties != new_properties

    def handle_create(self, properties):
        return {'value': generate(properties)}

    def restore_data(self, properties, data, snapshot_data):
        data = dict(data or {})
        if snapshot_data and snapshot_data.get('value') is not None:
            data['value'] = snapshot_data['value']
        return data

    # Its snapshot is its value, kept in the snapshot's row.
    makes_artifact = False

    def handle_snapshot(self):
        """The string, put back on restore."""
        data = self.resource.data or {}
        value = data.get('value')
        if value is None:
            value = (self.resource.attributes or {}).get('value')
        return {'value': value}


def generate(properties):
    """A random string as OS::Heat::RandomString makes it."""
    rand = random.SystemRandom()
    classes = list(properties.get('character_classes') or [])
    sequences = list(properties.get('character_sequences') or [])
    if properties.get('sequence'):
        classes.append({'class': properties['sequence'], 'min': 1})
    if not classes and not sequences:
        classes = [{'class': 'lettersdigits', 'min': 1}]
    pools = ([(CHARACTER_CLASSES[c['class']], c['min']) for c in classes] +
             [(s['sequence'], s['min']) for s in sequences])
    chars = []
    for pool, minimum in pools:
        chars.extend(rand.choice(pool) for _ in range(minimum))
    everything = ''.join(sorted(set(''.join(pool for pool, _ in pools))))
    while len(chars) < properties['length']:
        chars.append(rand.choice(everything))
    rand.shuffle(chars)
    return ''.join(chars)


class TestResource(ResourceType):
    type_name = 'OS::Heat::TestResource'
    properties_schema = {
        'value': Schema('string', default='test_string'),
        'update_replace': Schema('boolean', default=False),
        'update_replace_value': Schema('string'),
        'fail': Schema('boolean', default=False),
        'client_name': Schema('string', default=''),
        'entity_name': Schema('string', default=''),
        'wait_secs': Schema('number', default=0),
        'action_wait_secs': Schema('map', schema={
            operation: Schema('number') for operation in OPERATIONS}),
        'attr_wait_secs': Schema('number', default=0),
        'constraint_prop_secs': Schema('number', default=0),
        # Ours: the operations that fail while the others succeed.
        'fail_on': Schema('list', default=[], schema=Schema(
            'string', allowed_values=OPERATIONS)),
    }
    attributes = ('output',)

    def resolve_attributes(self, properties, data):
        return {'output': (data or {}).get('value')}

    def needs_replace(self, old_properties, new_properties):
        if old_properties.get('update_replace_value') != \
                new_properties.get('update_replace_value'):
            return True
        return bool(new_properties.get('update_replace'))

    def handle_create(self, properties):
        return {'value': properties['value']}

    def handle_update(self, properties, data):
        return dict(data or {}, value=properties['value'])

    def restore_data(self, properties, data, snapshot_data):
        data = dict(data or {})
        if snapshot_data and 'value' in snapshot_data:
            data['value'] = snapshot_data['value']
        return data

    def run(self, operation, properties, deadline=None):
        Step(self.name, properties, operation).wait(deadline)

    # The snapshot plugin: an artifact per snapshot, waits, failures.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._snapshot_step = None
        self._delete_step = None

    @property
    def _properties(self):
        return self.resource.properties or {}

    def _step(self, operation):
        return Step(self.name, self._properties, operation)

    artifact_made_in_record = True

    def handle_snapshot(self):
        # A snapshot that fails makes nothing.
        self._step(SNAPSHOT).check_fail()
        data = self.resource.data or {}
        value = data.get('value', self._properties.get('value'))
        # The artifact is made by record_snapshot.
        return {'value': value}

    def record_snapshot(self, context, data):
        return self.record_snapshots(context, [(self, data)])[0]

    @classmethod
    def record_snapshots(cls, context, recorded):
        # The artifact rows are written in the transaction recording their
        # ids (with the walks' other state changes), one INSERT for all: a
        # transaction of their own would wait for SQLite's one writer, as
        # the walk's writes do.
        ids = store_db.artifacts_ensure(context, [
            (plugin.snapshot_id, plugin.name, {
                'value': data['value'],
                'stack_id': getattr(plugin.stack, 'id', None),
                'physical_resource_id':
                    plugin.resource.physical_resource_id})
            for plugin, data in recorded])
        results = []
        for (plugin, data), artifact_id in zip(recorded, ids):
            # The wait starts once the artifact exists.
            plugin._snapshot_step = plugin._step(SNAPSHOT)
            results.append(dict(data, artifact_id=artifact_id))
        return results

    def check_snapshot_complete(self, data):
        if self._snapshot_step is None:
            # A fresh instance (an engine restart): the wait starts now.
            self._snapshot_step = self._step(SNAPSHOT)
        return self._snapshot_step.complete()

    def snapshot_ready_in(self, data):
        if self._snapshot_step is None:
            return None
        return self._snapshot_step.ready_in()

    def handle_snapshot_cancel(self, data):
        """A cancelled snapshot stops waiting: its artifact goes."""
        artifact_id = (data or {}).get('artifact_id')
        if artifact_id is not None:
            store_db.artifact_delete(self.context, artifact_id)
        return True

    def handle_delete_snapshot(self, data):
        # A delete that fails keeps the artifact.
        self._step(DELETE_SNAPSHOT).check_fail()
        artifact_id = (data or {}).get('artifact_id')
        if artifact_id is None:
            artifact_id = store_db.artifact_id_of(
                self.context, self.snapshot_id, self.name)
        if artifact_id is not None and \
                not store_db.artifact_delete(self.context, artifact_id):
            LOG.debug('Artifact %s of %s was already gone', artifact_id,
                      self.name)
        self._delete_step = self._step(DELETE_SNAPSHOT)

    def check_delete_snapshot_complete(self, data):
        if self._delete_step is None:
            self._delete_step = self._step(DELETE_SNAPSHOT)
        return self._delete_step.complete()

    def delete_snapshot_ready_in(self, data):
        if self._delete_step is None:
            return None
        return self._delete_step.ready_in()

    def restore_source(self, data):
        artifact_id = (data or {}).get('artifact_id')
        return {'artifact_id': artifact_id} if artifact_id else None

    def check_restore_source(self, data):
        artifact_id = (data or {}).get('artifact_id')
        if artifact_id and store_db.artifact_get(self.context,
                                                 artifact_id) is None:
            raise exception.ArtifactNotFound(
                artifact='Artifact', artifact_id=artifact_id,
                resource=self.name, snapshot=self.snapshot_id)

    @classmethod
    def list_artifacts(cls, context):
        return [(artifact.id, artifact.snapshot_id)
                for artifact in store_db.artifact_list(context)]

    @classmethod
    def delete_artifact(cls, context, artifact_id):
        store_db.artifact_delete(context, artifact_id)


def wait_secs(properties, operation):
    """TestResource's wait for ``operation``, as Heat's _wait_secs.

    Tolerates properties read from a template without being resolved (a
    snapshot's resource that is no longer in the stack): what is not a
    number waits nothing.
    """
    waits = properties.get('action_wait_secs')
    secs = waits.get(operation) if isinstance(waits, dict) else None
    if secs is None and operation in (CREATE, UPDATE, DELETE):
        secs = properties.get('wait_secs')
    try:
        return float(secs or 0)
    except (TypeError, ValueError):
        return 0


def fails(properties, operation):
    """Whether a TestResource fails ``operation``.

    ``fail`` fails what applies the properties (create, update); ``fail_on``
    names any operation.
    """
    fail_on = properties.get('fail_on')
    if isinstance(fail_on, list) and operation in fail_on:
        return True
    fail = properties.get('fail')
    if isinstance(fail, str):
        fail = strutils.bool_from_string(fail)
    return fail is True and operation in (CREATE, UPDATE)


TYPES = {cls.type_name: cls for cls in (NoneResource, ValueResource,
                                        RandomStringResource,
                                        TestResource)}


def get(type_name):
    """The class of ``type_name``; None when unknown."""
    return TYPES.get(type_name)
