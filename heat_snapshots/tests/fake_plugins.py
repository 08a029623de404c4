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

"""Resource plugins for the engine's unit tests, in the real registry.

``Plugins`` registers a plugin class for test resource types (``TYPE``
by default) whose every call is recorded; each resource's "backup" is an
artifact id kept in ``artifacts`` until the snapshot's delete removes it.
Per resource (named by its path, as the walks name it) a step can fail,
take several checks to complete, or wait until enough resources run at
once.
"""

import threading

import fixtures

from heat_snapshots.common import exception
from heat_snapshots.engine.resources import base as plugin_base
from heat_snapshots.engine.resources import registry

TYPE = 'Test::Backup'
# How long a plugin waits for others to run beside it before it goes on
# (and the test that wanted them together fails).
TOGETHER_TIMEOUT = 10


class Recorder:
    """What the plugins were asked, and how they are to answer."""

    def __init__(self):
        self.lock = threading.Condition()
        # (step, resource name) in the order the steps were called.
        self.calls = []
        # {artifact id: resource name} made and not deleted yet.
        self.artifacts = {}
        # {(step, resource name): reason} for steps that fail.
        self.failures = {}
        # {resource name: checks} until a snapshot (or its delete) is seen
        # complete; 1 by default.
        self.checks_needed = {}
        # Snapshots of resources started and not complete (and the most at
        # once).
        self.running = 0
        self.most_running = 0
        # A snapshot's check waits until this many run at once (once).
        self.together = 0
        self._together_seen = False

    def record(self, step, name):
        with self.lock:
            self.calls.append((step, name))
            reason = self.failures.get((step, name))
        if reason is not None:
            raise exception.ResourceFailure(reason=reason)

    def steps(self, step):
        """The resources that went through ``step``, in order."""
        with self.lock:
            return [name for s, name in self.calls if s == step]

    def started(self):
        with self.lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            if self.together and self.running >= self.together:
                self._together_seen = True
                self.lock.notify_all()

    def ended(self):
        with self.lock:
            self.running -= 1

    def wait_together(self):
        if not self.together:
            return
        with self.lock:
            self.lock.wait_for(lambda: self._together_seen,
                               timeout=TOGETHER_TIMEOUT)

    def done_after_checks(self, step, name):
        """Whether this check of ``step`` is the one that completes."""
        with self.lock:
            seen = self.calls.count((step, name))
            return seen >= self.checks_needed.get(name, 1)


class RecordingPlugin(plugin_base.ResourcePlugin):
    """Backs a resource up as an artifact; records every call."""

    recorder = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A walk makes the plugin as it starts the resource: counted from
        # here, before the step's database writes, so that the resources
        # a walk starts together are seen together.
        self.recorder.started()

    @property
    def name(self):
        return self.resource.name

    def _ended(self, step):
        """Record ``step``; the resource's work ends if it fails."""
        try:
            self.recorder.record(step, self.name)
        except Exception:
            self.recorder.ended()
            raise

    def handle_snapshot(self):
        self._ended('handle_snapshot')
        artifact = 'backup-%s-%s' % (self.snapshot_id, self.name)
        with self.recorder.lock:
            self.recorder.artifacts[artifact] = self.name
        return {'backup_id': artifact}

    def check_snapshot_complete(self, data):
        self._ended('check_snapshot_complete')
        self.recorder.wait_together()
        if not self.recorder.done_after_checks('check_snapshot_complete',
                                               self.name):
            return False
        self.recorder.ended()
        return True

    def handle_restore(self, definition, data):
        self.recorder.record('handle_restore', self.name)
        definition.setdefault('properties', {})['backup_id'] = \
            data['backup_id']
        return definition

    def handle_delete_snapshot(self, data):
        self.recorder.record('handle_delete_snapshot', self.name)
        with self.recorder.lock:
            self.recorder.artifacts.pop(data.get('backup_id'), None)

    def check_delete_snapshot_complete(self, data):
        self.recorder.record('check_delete_snapshot_complete', self.name)
        return self.recorder.done_after_checks(
            'check_delete_snapshot_complete', self.name)


class Plugins(fixtures.Fixture):
    """A RecordingPlugin for each of ``types``, with its own Recorder.

    :ivar recorder: what the plugins did.
    """

    def __init__(self, types=(TYPE,)):
        super().__init__()
        self.types = types

    def _setUp(self):
        self.recorder = Recorder()
        plugin = type('RecordingPlugin', (RecordingPlugin,),
                      {'recorder': self.recorder})
        for type_name in self.types:
            known = registry.plugins()
            if type_name in known:
                self.addCleanup(registry.register, type_name,
                                known[type_name])
            else:
                self.addCleanup(known.pop, type_name, None)
            registry.register(type_name, plugin)
