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

import string

from heat_snapshots.common import exception
from heat_snapshots.localstack import resource_types
from heat_snapshots.tests import base
from heat_snapshots.tests import fake_clock

# The module whose waits the fake clock stands in for.
CLOCKED = (resource_types.__name__,)


def properties(type_class, **values):
    return type_class.check_properties(values, 'resources.r.properties')


class RandomStringTest(base.TestCase):
    rs = resource_types.RandomStringResource

    def test_default_is_32_letters_and_digits(self):
        data = self.rs.named('r').handle_create(properties(self.rs))
        self.assertEqual(32, len(data['value']))
        self.assertLessEqual(set(data['value']),
                             set(string.ascii_letters + string.digits))

    def test_character_classes_and_sequences_minimums(self):
        props = properties(
            self.rs, length=12,
            character_classes=[{'class': 'digits', 'min': 4}],
            character_sequences=[{'sequence': '!@', 'min': 3}])
        value = self.rs.named('r').handle_create(props)['value']
        self.assertEqual(12, len(value))
        self.assertGreaterEqual(sum(c.isdigit() for c in value), 4)
        self.assertGreaterEqual(sum(c in '!@' for c in value), 3)
        self.assertLessEqual(set(value), set(string.digits + '!@'))

    def test_minimums_longer_than_length_are_refused(self):
        error = self.assertRaises(
            resource_types.PropertyError, properties, self.rs, length=2,
            character_classes=[{'class': 'digits', 'min': 3}])
        self.assertIn('Length property cannot be smaller', str(error))

    def test_any_property_change_replaces(self):
        old = properties(self.rs, length=8)
        rtype = self.rs.named('r')
        self.assertTrue(rtype.needs_replace(old, properties(self.rs,
                                                            length=9)))
        self.assertTrue(rtype.needs_replace(old, properties(
            self.rs, length=8, salt='x')))
        self.assertFalse(rtype.needs_replace(old, properties(self.rs,
                                                             length=8)))

    def test_restore_puts_the_snapshot_value_back(self):
        rtype = self.rs.named('r')
        self.assertEqual({'value': 'old'},
                         rtype.restore_data({}, {'value': 'new'},
                                            {'value': 'old'}))
        self.assertEqual({'value': 'old'},
                         rtype.resolve_attributes({}, {'value': 'old'}))


class ValueTest(base.TestCase):

    def test_type_converts_value(self):
        value = resource_types.ValueResource.named('v')
        for kind, raw, expected in (('number', '3', 3),
                                    ('boolean', 'on', True),
                                    ('json', '{"a": 1}', {'a': 1}),
                                    ('comma_delimited_list', 'a,b',
                                     ['a', 'b']),
                                    ('string', 5, '5'),
                                    (None, [1], [1])):
            props = properties(resource_types.ValueResource, value=raw,
                               type=kind)
            self.assertEqual({'value': expected},
                             value.resolve_attributes(props, {}))

    def test_value_not_of_its_type_is_refused(self):
        self.assertRaises(resource_types.PropertyError, properties,
                          resource_types.ValueResource, value='x',
                          type='number')


class TestResourceTest(base.TestCase):
    tr = resource_types.TestResource

    def test_defaults_and_data(self):
        props = properties(self.tr)
        self.assertEqual('test_string', props['value'])
        self.assertEqual({'value': 'test_string'},
                         self.tr.named('t').handle_create(props))
        self.assertEqual({'output': 'v'},
                         self.tr.named('t').resolve_attributes(
                             props, {'value': 'v'}))

    def test_fail_on_fails_only_the_named_operations(self):
        props = properties(self.tr, fail_on=['update', 'restore'])
        rtype = self.tr.named('broken')
        rtype.run('create', props)
        rtype.run('delete', props)
        for operation in ('update', 'restore'):
            error = self.assertRaises(exception.ResourceFailure, rtype.run,
                                      operation, props)
            self.assertEqual('Test Resource failed broken', str(error))

    def test_fail_fails_create_and_update(self):
        props = properties(self.tr, fail=True)
        rtype = self.tr.named('t')
        self.assertRaises(exception.ResourceFailure, rtype.run, 'create',
                          props)
        self.assertRaises(exception.ResourceFailure, rtype.run, 'update',
                          props)
        rtype.run('delete', props)

    def test_waits_as_told(self):
        clock = self.useFixture(fake_clock.FakeClock(modules=CLOCKED))
        props = properties(self.tr, wait_secs=0.2,
                           action_wait_secs={'create': 0.05})
        rtype = self.tr.named('t')
        start = clock.monotonic()
        rtype.run('create', props)
        # The operation's own wait wins over the general one.
        self.assertEqual(0.05, round(clock.monotonic() - start, 6))
        start = clock.monotonic()
        rtype.run('delete', props)
        self.assertEqual(0.2, round(clock.monotonic() - start, 6))
        start = clock.monotonic()
        rtype.run('snapshot', props)
        # Not an operation of the resource's: no wait.
        self.assertEqual(start, clock.monotonic())

    def test_wait_stops_at_the_deadline(self):
        clock = self.useFixture(fake_clock.FakeClock(modules=CLOCKED))
        props = properties(self.tr, wait_secs=-1)
        deadline = clock.monotonic() + 0.05
        self.assertRaises(exception.OperationTimeout, self.tr.named('t').run,
                          'create', props, deadline)
        self.assertEqual(deadline, clock.monotonic())

    def test_update_replace(self):
        rtype = self.tr.named('t')
        old = properties(self.tr, value='a')
        self.assertFalse(rtype.needs_replace(old, properties(self.tr,
                                                             value='b')))
        self.assertTrue(rtype.needs_replace(old, properties(
            self.tr, value='b', update_replace=True)))
