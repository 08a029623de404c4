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

"""The engine test base: an engine manager on a fresh database, the
local stack driver, and templates of Heat's own resource types.
"""

import inspect

from heat_snapshots.tests import base
from heat_snapshots.tests import engine_fixture as ef


def undecorated(function):
    """The method under oslo.messaging's @expected_exceptions wrapper."""
    for cell in function.__closure__ or ():
        if inspect.isfunction(cell.cell_contents):
            return undecorated(cell.cell_contents)
    return function


def template(resources, parameters=None, outputs=None):
    tmpl = {'heat_template_version': '2018-08-31', 'resources': resources}
    if parameters:
        tmpl['parameters'] = parameters
    if outputs:
        tmpl['outputs'] = outputs
    return tmpl


FIVE = template(
    parameters={'length': {'type': 'number', 'default': 16}},
    resources={
        'none': {'type': 'OS::Heat::None'},
        'value': {'type': 'OS::Heat::Value',
                  'properties': {'value': 'one'}},
        'random': {'type': 'OS::Heat::RandomString',
                   'properties': {'length': {'get_param': 'length'}}},
        'test': {'type': 'OS::Heat::TestResource',
                 'properties': {'value': {'get_attr': ['random', 'value']}}},
        'last': {'type': 'OS::Heat::None', 'depends_on': ['test', 'value']},
    })


class EngineTestCase(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.engine = self.useFixture(ef.Engine()).manager
        self.ctx = self.make_context()

    def create_stack(self, tmpl, name='stack', ctx=None, wait=True,
                     params=None):
        ctx = ctx or self.ctx
        identity = self.engine.create_stack(ctx, name, tmpl, params or {},
                                            {}, {}, {})
        if wait:
            ef.wait_for_stack(self.engine, ctx, identity, 'CREATE_COMPLETE')
        return identity

    def snapshot(self, identity, name='snap', wait='COMPLETE'):
        snap = self.engine.stack_snapshot(self.ctx, identity, name)
        if wait:
            snap = ef.wait_for_snapshot(self.engine, self.ctx, identity,
                                        snap['id'], wait)
        return snap

    def resources(self, identity):
        return {r['resource_name']: r for r in
                self.engine.list_stack_resources(self.ctx, identity)}

    def random_value(self, identity):
        stack = self.engine.driver.get_stack(self.ctx, identity['stack_id'])
        return {r.name: r for r in stack.resources}['random'].data['value']
