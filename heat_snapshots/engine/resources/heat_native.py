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

"""Snapshot plugins of Heat's own resource types.

``OS::Heat::None`` and ``OS::Heat::Value`` keep their data, as Heat does.
``OS::Heat::RandomString`` keeps its value. ``OS::Heat::TestResource``
stands in for a resource with a real backup: it writes an artifact into
the local artifact store, can take its time and can fail at each step.
"""

import time

from oslo_log import log as logging

from heat_snapshots.common import exception
from heat_snapshots.engine.resources import base
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.localstack import resource_types

LOG = logging.getLogger(__name__)


def list_artifacts(context, snapshot_id=None):
    """The local artifact store's artifacts (for the reconciler)."""
    return store_db.artifact_list(context, snapshot_id=snapshot_id)


class NonePlugin(base.ResourcePlugin):
    """OS::Heat::None: its own data."""


class ValuePlugin(base.ResourcePlugin):
    """OS::Heat::Value: its own data."""


class RandomStringPlugin(base.ResourcePlugin):
    """OS::Heat::RandomString: the string, put back on restore."""

    def handle_snapshot(self):
        data = self.resource.data or {}
        value = data.get('value')
        if value is None:
            value = (self.resource.attributes or {}).get('value')
        return {'value': value}


class TestResourcePlugin(base.ResourcePlugin):
    """OS::Heat::TestResource: an artifact per snapshot, waits, failures.

    ``action_wait_secs`` ``snapshot`` and ``delete_snapshot`` make the
    steps take that long; ``fail_on`` ``snapshot`` and ``delete_snapshot``
    make them fail.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._snapshot_ready_at = None
        self._delete_ready_at = None

    @property
    def _name(self):
        return getattr(self.resource, 'name', None)

    @property
    def _properties(self):
        return getattr(self.resource, 'properties', None) or {}

    def _check_fail(self, operation):
        if resource_types.fails(self._properties, operation):
            raise exception.ResourceFailure(
                reason='Test Resource failed %s' % self._name)

    def _wait_secs(self, operation):
        secs = resource_types.wait_secs(self._properties, operation)
        # Negative: wait for ever, as Heat's TestResource does.
        return float('inf') if secs < 0 else secs

    def _find_artifact(self):
        # Only this resource's: reading the snapshot's every artifact for
        # each resource made a snapshot O(N^2).
        for artifact in store_db.artifact_list(self.context,
                                               snapshot_id=self.snapshot_id,
                                               resource_name=self._name):
            return artifact
        return None

    def handle_snapshot(self):
        self._check_fail(resource_types.SNAPSHOT)
        data = self.resource.data or {}
        value = data.get('value', self._properties.get('value'))
        artifact = self._find_artifact()
        if artifact is None:
            artifact = store_db.artifact_create(self.context, {
                'snapshot_id': self.snapshot_id,
                'resource_name': self._name,
                'content': {
                    'value': value,
                    'stack_id': getattr(self.stack, 'id', None),
                    'physical_resource_id':
                        self.resource.physical_resource_id}})
            LOG.debug('Artifact %s made for %s of snapshot %s',
                      artifact.id, self._name, self.snapshot_id)
        self._snapshot_ready_at = (time.monotonic() +
                                   self._wait_secs(resource_types.SNAPSHOT))
        return {'value': value, 'artifact_id': artifact.id}

    def check_snapshot_complete(self, data):
        if self._snapshot_ready_at is None:
            # A fresh instance (an engine restart): the wait starts now.
            self._snapshot_ready_at = (
                time.monotonic() + self._wait_secs(resource_types.SNAPSHOT))
        return time.monotonic() >= self._snapshot_ready_at

    def handle_delete_snapshot(self, data):
        self._check_fail(resource_types.DELETE_SNAPSHOT)
        artifact_id = (data or {}).get('artifact_id')
        if artifact_id is None:
            artifact = self._find_artifact()
            artifact_id = artifact.id if artifact else None
        if artifact_id is not None and \
                not store_db.artifact_delete(self.context, artifact_id):
            LOG.debug('Artifact %s of %s was already gone', artifact_id,
                      self._name)
        self._delete_ready_at = (
            time.monotonic() +
            self._wait_secs(resource_types.DELETE_SNAPSHOT))

    @classmethod
    def list_artifacts(cls, context):
        return [(artifact.id, artifact.snapshot_id)
                for artifact in list_artifacts(context)]

    @classmethod
    def delete_artifact(cls, context, artifact_id):
        store_db.artifact_delete(context, artifact_id)

    def check_delete_snapshot_complete(self, data):
        if self._delete_ready_at is None:
            self._delete_ready_at = (
                time.monotonic() +
                self._wait_secs(resource_types.DELETE_SNAPSHOT))
        return time.monotonic() >= self._delete_ready_at
