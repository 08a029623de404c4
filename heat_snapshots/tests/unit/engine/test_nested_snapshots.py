"""Nested resources in a snapshot's data (snapshots.nest_resources)."""

from heat_snapshots.engine import snapshots
from heat_snapshots.tests import base


def entry(name, type_name='OS::Heat::None'):
    return {'name': name, 'type': type_name, 'resource_id': name + '-id',
            'action': 'SNAPSHOT', 'status': 'COMPLETE', 'metadata': {},
            'resource_data': {}}


class NestResourcesTest(base.TestCase):

    def test_flat_resources_stay_flat(self):
        flat = {'a': entry('a'), 'b': entry('b')}
        self.assertEqual({'a': entry('a'), 'b': entry('b')},
                         snapshots.nest_resources(flat))

    def test_nested_under_their_parent_by_own_name(self):
        flat = {'group': entry('group', 'OS::Heat::ResourceGroup'),
                'group/0': entry('group/0', 'member.yaml'),
                'group/1': entry('group/1'),
                'group/0/vol': entry('group/0/vol', 'OS::Cinder::Volume'),
                'other': entry('other')}
        nested = snapshots.nest_resources(flat)
        self.assertEqual({'group', 'other'}, set(nested))
        members = nested['group']['resources']
        self.assertEqual({'0', '1'}, set(members))
        self.assertEqual('0', members['0']['name'])
        self.assertEqual('group/0-id', members['0']['resource_id'])
        inner = members['0']['resources']
        self.assertEqual({'vol'}, set(inner))
        self.assertEqual('OS::Cinder::Volume', inner['vol']['type'])
        self.assertNotIn('resources', nested['other'])

    def test_path_without_recorded_parent_stays_at_the_top(self):
        flat = {'a/b': entry('a/b'), 'a/b/c': entry('a/b/c')}
        nested = snapshots.nest_resources(flat)
        self.assertEqual({'a/b'}, set(nested))
        self.assertEqual({'c'}, set(nested['a/b']['resources']))
