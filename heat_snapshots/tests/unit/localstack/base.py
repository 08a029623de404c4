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

"""The local stack driver's test base: the driver on a fresh database,
recording when each OS::Heat::TestResource starts and ends.
"""

import threading
import time

import fixtures

from heat_snapshots.localstack import driver as local_driver
from heat_snapshots.localstack import resource_types
from heat_snapshots.tests import base

#: The options of the template limits.
TEMPLATES_GROUP = 'heat_snapshots_templates'

#: A YAML alias bomb: nine to the seventh strings from a few lines.
BILLION_LAUGHS = '''
heat_template_version: 2018-08-31
description: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
parameters:
  b: {type: json, default: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]}
  c: {type: json, default: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]}
  d: {type: json, default: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]}
  e: {type: json, default: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]}
  f: {type: json, default: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]}
  g: {type: json, default: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]}
resources: {}
'''


def hot(resources=None, **sections):
    template = {'heat_template_version': '2021-04-16',
                'resources': resources or {}}
    template.update(sections)
    return template


def tres(**properties):
    return {'type': 'OS::Heat::TestResource', 'properties': properties}


class DriverTestCase(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.driver = local_driver.LocalStackDriver(base.CONF)
        self.ctx = self.make_context()
        self.events = []
        self._events_lock = threading.Lock()
        original = resource_types.TestResource.run

        def recording_run(rtype, operation, properties, deadline=None):
            self._event('start', rtype.name, operation)
            try:
                original(rtype, operation, properties, deadline)
            finally:
                self._event('end', rtype.name, operation)

        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.localstack.resource_types.'
            'TestResource.run', recording_run))

    def _event(self, what, name, operation):
        with self._events_lock:
            self.events.append((what, name, operation, time.monotonic()))

    def event_time(self, what, name, operation='create'):
        for event in self.events:
            if event[:3] == (what, name, operation):
                return event[3]
        self.fail('no %s of %s %s in %s' % (what, operation, name,
                                            self.events))

    def create(self, template, name='stack', ctx=None, params=None,
               environment=None, files=None):
        ctx = ctx or self.ctx
        stack = self.driver.create_stack(ctx, name, template, params or {},
                                         files or {}, environment or {})
        self.driver.run_create(ctx, stack.id)
        self.driver.set_stack_state(ctx, stack.id, 'CREATE', 'COMPLETE',
                                    'Stack CREATE completed successfully')
        return self.driver.get_stack(ctx, stack.id)

    def update(self, stack, template, params=None, environment=None,
               existing=False, **kwargs):
        definition = self.driver.prepare_update(
            self.ctx, stack, template, params or {}, {}, environment or {},
            existing=existing)
        self.driver.run_update(self.ctx, stack.id, definition, **kwargs)
        return self.driver.get_stack(self.ctx, stack.id)

    def resources(self, stack):
        stack = self.driver.get_stack(self.ctx, stack.id)
        return {r.name: r for r in stack.resources}

    def status(self, resource):
        return '%s_%s' % (resource.action, resource.status)
