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

"""The stack store's RPC endpoint, called as the RPC server calls it:
the answers the API turns into Heat's stack, resource, output and event
documents.

The version and the calls of 1.1 are in test_rpcapi; the HTTP documents
in tests/unit/api/controllers/v1.
"""

from heat_snapshots.common import exception
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests.unit.engine import base as engine_base

OUTPUTS = engine_base.template(
    resources={'value': {'type': 'OS::Heat::Value',
                         'properties': {'value': 'one'}}},
    outputs={'shown': {'description': 'The value.',
                       'value': {'get_attr': ['value', 'value']}},
             'bare': {'value': 'two'}})


class StackEndpointTestCase(engine_base.EngineTestCase):

    def test_create_answers_the_identity_and_keeps_the_arguments(self):
        identity = self.engine.create_stack(
            self.ctx, 'web', engine_base.FIVE, {'length': 4},
            {'a.txt': 'A'}, {}, {'tags': ['t1', 't2'], 'timeout_mins': 7,
                                 'disable_rollback': False})
        self.assertEqual({'tenant': 'project-a', 'stack_name': 'web',
                          'path': ''},
                         {k: v for k, v in identity.items()
                          if k != 'stack_id'})
        shown = ef.wait_for_stack(self.engine, self.ctx, identity,
                                  'CREATE_COMPLETE')
        self.assertEqual((['t1', 't2'], 7, False),
                         (shown['tags'], shown['timeout_mins'],
                          shown['disable_rollback']))
        self.assertEqual({'a.txt': 'A'},
                         self.engine.get_files(self.ctx, identity))
        self.assertEqual(engine_base.FIVE,
                         self.engine.get_template(self.ctx, identity))

    def test_list_shows_the_callers_project_only(self):
        mine = self.create_stack(engine_base.FIVE, 'mine')
        self.create_stack(engine_base.FIVE, 'theirs',
                          ctx=self.make_context(project_id='project-b'))
        listed = self.engine.list_stacks(self.ctx)
        self.assertEqual([mine['stack_id']], [s['id'] for s in listed])
        self.assertEqual(
            [], self.engine.list_stacks(self.ctx, filters={'name': 'x'}))

    def test_resources_tell_what_requires_them(self):
        identity = self.create_stack(engine_base.FIVE)
        listed = {r['resource_name']: r for r in
                  self.engine.list_stack_resources(self.ctx, identity)}
        self.assertEqual(['last', 'none', 'random', 'test', 'value'],
                         sorted(listed))
        self.assertEqual(['last'], sorted(listed['value']['required_by']))
        self.assertEqual([], listed['last']['required_by'])
        shown = self.engine.show_resource(self.ctx, identity, 'test')
        self.assertEqual(['last'], shown['required_by'])
        error = self.assertRaises(exception.ResourceNotFound,
                                  self.engine.show_resource, self.ctx,
                                  identity, 'nope')
        self.assertIn('nope', str(error))

    def test_outputs_listed_by_key_and_shown_one_by_one(self):
        identity = self.create_stack(OUTPUTS)
        self.assertEqual(
            # Heat's words for an output with no description.
            [{'output_key': 'bare', 'description': 'No description given'},
             {'output_key': 'shown', 'description': 'The value.'}],
            sorted(self.engine.list_outputs(self.ctx, identity),
                   key=lambda o: o['output_key']))
        self.assertEqual('one', self.engine.show_output(
            self.ctx, identity, 'shown')['output_value'])
        error = self.assertRaises(exception.NotFound,
                                  self.engine.show_output, self.ctx,
                                  identity, 'missing')
        self.assertEqual('Specified output key missing not found.',
                         str(error))

    def test_a_deleted_stack_still_shows_its_events(self):
        identity = self.create_stack(engine_base.FIVE)
        self.engine.delete_stack(self.ctx, identity)
        ef.wait_for_stack(self.engine, self.ctx, identity, 'DELETE_COMPLETE')
        events = self.engine.list_events(self.ctx, identity)
        self.assertIn(('stack', 'DELETE_COMPLETE'),
                      [(e['resource_name'], e['resource_status'])
                       for e in events])
        self.assertRaises(exception.StackNotFound, self.engine.get_template,
                          self.ctx, identity)

    def test_another_projects_stack_is_not_found(self):
        identity = self.create_stack(engine_base.FIVE)
        other = self.make_context(project_id='project-b')
        for call in (self.engine.show_stack, self.engine.get_template,
                     self.engine.list_outputs, self.engine.delete_stack):
            self.assertRaises(exception.StackNotFound, call, other, identity)

    def test_a_resource_without_artifact_shows_its_snapshot_in_events(self):
        identity = self.create_stack(engine_base.FIVE)
        self.snapshot(identity)
        events = [(e['resource_status'], e['resource_status_reason'])
                  for e in self.engine.list_events(
                      self.ctx, identity, filters={'resource_name': 'none'},
                      sort_dir='asc')]
        # As Heat shows a resource's snapshot: started, then its outcome.
        self.assertEqual([('SNAPSHOT_IN_PROGRESS', 'state changed'),
                          ('SNAPSHOT_COMPLETE', 'state changed')],
                         [e for e in events if e[0].startswith('SNAPSHOT')])
        shown = self.engine.show_resource(self.ctx, identity, 'none')
        self.assertEqual('SNAPSHOT_COMPLETE', shown['resource_status'])
