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

"""Engine objects as Heat's API shows them."""

import datetime
import json
import types

from heat_snapshots.engine import formatters
from heat_snapshots.tests import base

CREATED = datetime.datetime(2015, 9, 1, 20, 57, 55, 123456)


def stack(**kwargs):
    values = dict(
        id='sid', name='web', project_id='p1', description='d',
        created_at=CREATED, updated_at=None, deleted_at=None,
        action='CREATE', status='COMPLETE', status_reason='done',
        username='alice', stack_user_project_id=None, tags=('a', 'b'),
        disable_rollback=True, timeout_mins=60, parameters={'x': '1'},
        outputs=[])
    values.update(kwargs)
    return types.SimpleNamespace(**values)


def resource(**kwargs):
    values = dict(
        name='server', physical_resource_id=None, type='OS::Nova::Server',
        action='CREATE', status='COMPLETE', status_reason=None,
        created_at=CREATED, updated_at=None, attributes={'ip': '10.0.0.1'})
    values.update(kwargs)
    return types.SimpleNamespace(**values)


class FormatTimeTest(base.TestCase):

    def test_heats_format_without_microseconds(self):
        self.assertEqual('2015-09-01T20:57:55Z',
                         formatters.format_time(CREATED))

    def test_aware_time_is_converted_to_utc(self):
        aware = datetime.datetime(
            2015, 9, 1, 22, 57, 55,
            tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
        self.assertEqual('2015-09-01T20:57:55Z',
                         formatters.format_time(aware))

    def test_none(self):
        self.assertIsNone(formatters.format_time(None))


class FormatStackTest(base.TestCase):

    def test_summary_and_detail(self):
        summary = formatters.format_stack(stack(), detail=False)
        self.assertEqual('CREATE_COMPLETE', summary['stack_status'])
        self.assertEqual(['a', 'b'], summary['tags'])
        self.assertEqual({'tenant': 'p1', 'stack_name': 'web',
                          'stack_id': 'sid', 'path': ''},
                         summary['stack_identity'])
        self.assertNotIn('parameters', summary)
        detail = formatters.format_stack(stack())
        self.assertEqual(({'x': '1'}, 60, 'd'),
                         (detail['parameters'], detail['timeout_mins'],
                          detail['template_description']))
        self.assertLessEqual(set(summary), set(detail))

    def test_no_tags_is_an_empty_list(self):
        self.assertEqual([], formatters.format_stack(stack(tags=None))[
            'tags'])


class FormatResourceTest(base.TestCase):

    def test_heats_empty_strings_and_sorted_required_by(self):
        info = formatters.format_resource(stack(), resource(),
                                          required_by={'z', 'a'})
        self.assertEqual(('', '', ['a', 'z']),
                         (info['physical_resource_id'],
                          info['resource_status_reason'],
                          info['required_by']))
        # Never updated: the creation time, as Heat shows it.
        self.assertEqual(info['creation_time'], info['updated_time'])
        self.assertNotIn('attributes', info)

    def test_detail_shows_the_attributes_or_their_show(self):
        info = formatters.format_resource(stack(), resource(), detail=True)
        self.assertEqual({'ip': '10.0.0.1'}, info['attributes'])
        info = formatters.format_resource(
            stack(), resource(attributes={'show': {'id': 'x'}, 'ip': 'y'}),
            detail=True)
        self.assertEqual({'id': 'x'}, info['attributes'])


class FormatResourcesTest(base.TestCase):
    """Nested resources, named by path as every stack driver names them,
    listed as Heat lists them with nested_depth.
    """

    def resources(self):
        def res(name, physical, requires=()):
            return resource(name=name, physical_resource_id=physical,
                            type='T', requires=list(requires))
        return stack(resources=[
            res('lb', 'lb-id', ['group']),
            res('group', 'aaaa-bbbb-cccc-dddd', ['group/0', 'group/1']),
            res('group/0', '0000-1111-2222-3333', ['group/0/vol']),
            res('group/1', '1111'),
            res('group/0/vol', 'vol-id'),
            res('group/0/port', 'port-id', ['group/0/vol']),
        ])

    def test_top_stack_only_by_default(self):
        listed = formatters.format_resources(self.resources())
        self.assertEqual(['lb', 'group'],
                         [r['resource_name'] for r in listed])
        group = listed[1]
        self.assertEqual(['lb'], group['required_by'])
        self.assertNotIn('parent_resource', group)
        self.assertEqual('sid', group['stack_identity']['stack_id'])
        self.assertEqual(
            {'tenant': 'p1', 'stack_name': 'web-group-aaaabbbbcccc',
             'stack_id': 'aaaa-bbbb-cccc-dddd', 'path': ''},
            group['nested_identity'])
        self.assertNotIn('nested_identity', listed[0])

    def test_nested_depth_levels(self):
        self.assertEqual(4, len(formatters.format_resources(
            self.resources(), nested_depth=1)))
        listed = {(r['stack_identity']['stack_name'], r['resource_name']): r
                  for r in formatters.format_resources(self.resources(),
                                                       nested_depth=2)}
        self.assertEqual(6, len(listed))
        member_stack = 'web-group-aaaabbbbcccc-0-000011112222'
        vol = listed[(member_stack, 'vol')]
        self.assertEqual('0', vol['parent_resource'])
        self.assertEqual('vol', vol['logical_resource_id'])
        self.assertEqual('0000-1111-2222-3333',
                         vol['stack_identity']['stack_id'])
        # Siblings only: the member requiring it is not listed.
        self.assertEqual(['port'], vol['required_by'])
        member = listed[('web-group-aaaabbbbcccc', '0')]
        self.assertEqual('group', member['parent_resource'])
        self.assertEqual(member_stack,
                         member['nested_identity']['stack_name'])


class FormatEventTest(base.TestCase):

    def event(self, **kwargs):
        values = dict(id='e1', created_at=CREATED, resource_name='server',
                      physical_resource_id='pid', action='CREATE',
                      status='IN_PROGRESS', status_reason='state changed',
                      resource_type='OS::Nova::Server', properties=None)
        values.update(kwargs)
        return types.SimpleNamespace(**values)

    def test_summary_has_no_type_nor_properties(self):
        info = formatters.format_event(stack(), self.event())
        self.assertEqual('CREATE_IN_PROGRESS', info['resource_status'])
        self.assertEqual('server', info['logical_resource_id'])
        self.assertNotIn('resource_type', info)

    def test_detail_properties_default_to_empty(self):
        info = formatters.format_event(stack(), self.event(), detail=True)
        self.assertEqual(('OS::Nova::Server', {}),
                         (info['resource_type'],
                          info['resource_properties']))


class FormatSnapshotTest(base.TestCase):

    def test_heats_seven_keys_in_order(self):
        snapshot = types.SimpleNamespace(
            id='s1', name='n', action='SNAPSHOT', status='COMPLETE',
            status_reason='', data={'k': 'v'}, created_at=CREATED)
        info = formatters.format_snapshot(snapshot)
        self.assertEqual(['id', 'name', 'action', 'status', 'status_reason',
                          'data', 'creation_time'], list(info))
        self.assertEqual('2015-09-01T20:57:55Z', info['creation_time'])


HIDDEN = {'heat_template_version': '2018-08-31', 'parameters': {
    'password': {'type': 'string', 'hidden': True},
    'flavor': {'type': 'string'}}}


def environment():
    return {'parameters': {'password': 's3cret', 'flavor': 'small'},
            'parameter_defaults': {}}


class HiddenParametersTest(base.TestCase):
    """Masked as Heat shows them; what is stored stays intact."""

    def test_snapshot_data_is_shown_masked_and_stored_intact(self):
        data = {'template': HIDDEN, 'files': {},
                'environment': environment()}
        snapshot = types.SimpleNamespace(
            id='s', name='n', action='SNAPSHOT', status='COMPLETE',
            status_reason='', data=data, created_at=CREATED)
        shown = formatters.format_snapshot(snapshot)
        self.assertEqual({'password': '******', 'flavor': 'small'},
                         shown['data']['environment']['parameters'])
        self.assertEqual(environment(), snapshot.data['environment'])

    def test_environment_is_masked_as_heats_environment_show(self):
        shown = stack(template=HIDDEN, files={}, environment=environment())
        self.assertEqual({'password': '******', 'flavor': 'small'},
                         formatters.format_environment(shown)['parameters'])
        self.assertEqual('s3cret', shown.environment['parameters'][
            'password'])


class SnapshotJSONTest(base.TestCase):
    """The JSON text of a snapshot: json.dumps of format_snapshot."""

    def row(self, data, **kwargs):
        values = dict(id='s1', name='snap-é "1"', action='CREATE',
                      status='FAILED', status_reason='Error: "x" \\ y',
                      created_at=CREATED,
                      data=None if data is None else json.dumps(data))
        values.update(kwargs)
        return types.SimpleNamespace(**values)

    def as_before(self, row):
        snapshot = types.SimpleNamespace(**dict(
            vars(row), data=None if row.data is None else json.loads(
                row.data)))
        return json.dumps(formatters.format_snapshot(snapshot))

    def test_the_same_text_as_encoding_the_decoded_snapshot(self):
        cases = [
            None,
            {'name': 'zoë ✓', 'n': 1.5, 'big': 10 ** 30, 'list': [None, True],
             'text': 'line\nnext\t"quoted" \\ \u2028 \U0001F600'},
            {'template': HIDDEN, 'files': {}, 'environment': environment()},
            {'template': {'parameters': {'p': {'type': 'string'}}},
             'files': {'f.yaml': 'a: "\\u0068idden"\n'},
             'environment': environment()},
        ]
        for data in cases:
            row = self.row(data)
            self.assertEqual(self.as_before(row),
                             formatters.snapshot_json(row))
        self.assertEqual(self.as_before(self.row(None, name=None,
                                                 status_reason=None)),
                         formatters.snapshot_json(self.row(
                             None, name=None, status_reason=None)))

    def test_hidden_values_are_masked_in_the_text(self):
        row = self.row({'template': HIDDEN, 'files': {},
                        'environment': environment()})
        text = formatters.snapshot_json(row)
        self.assertNotIn('s3cret', text)
        self.assertEqual('******', json.loads(text)['data']['environment'][
            'parameters']['password'])

    def test_a_list_is_a_json_array_of_them(self):
        rows = [self.row({'k': 1}, id='a'), self.row(None, id='b')]
        self.assertEqual(json.dumps([json.loads(formatters.snapshot_json(r))
                                     for r in rows]),
                         formatters.snapshots_json(rows))
        self.assertEqual('[]', formatters.snapshots_json([]))
