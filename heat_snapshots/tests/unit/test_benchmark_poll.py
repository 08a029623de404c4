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

"""When the benchmarks' client asks whether a snapshot is done: the
resolution of every wall time they report.
"""

import contextlib
from unittest import mock

from benchmarks import target as targets
from heat_snapshots.tests import base


class FakeTime:
    """time.monotonic and time.sleep of the benchmarks' client, from 100.0
    on; ``patched()`` puts them in place of benchmarks.target's.
    """

    def __init__(self):
        self.now = 100.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds

    def patched(self):
        patches = contextlib.ExitStack()
        patches.enter_context(mock.patch.object(
            targets.time, 'monotonic', self.monotonic))
        patches.enter_context(mock.patch.object(
            targets.time, 'sleep', self.sleep))
        return patches


class Clock(FakeTime):
    """A client whose GETs each take ``get_time`` seconds; the snapshot is
    COMPLETE from ``done_at``.
    """

    def __init__(self, get_time, done_at):
        super().__init__()
        self.get_time = get_time
        self.done_at = done_at
        self.sent = []

    def request(self, method, path, body=None, expect=(200,)):
        self.sent.append(round(self.now - 100.0, 4))
        status = 'COMPLETE' if self.now >= self.done_at else 'IN_PROGRESS'
        self.now += self.get_time
        return 200, {'snapshot': {'status': status, 'status_reason': ''}}


class WaitSnapshotTest(base.TestCase):

    def wait(self, clock, not_before, seen=None):
        target = targets.Target.__new__(targets.Target)
        target.request = clock.request
        with clock.patched():
            target.wait_snapshot('/stack', 'snap', not_before=not_before,
                                 seen=seen)
        return clock.sent

    def test_gets_keep_their_interval_whatever_a_get_takes(self):
        # Each GET takes 6 ms: sent every 20 ms all the same, not every 26.
        clock = Clock(get_time=0.006, done_at=100.545)
        sent = self.wait(clock, not_before=100.5)
        self.assertEqual([0.5, 0.52, 0.54, 0.56], sent)

    def test_a_get_slower_than_the_interval_skips_the_times_it_missed(self):
        # A 45 ms GET: the next ones at the next times of the schedule,
        # not back to back.
        clock = Clock(get_time=0.045, done_at=100.55)
        sent = self.wait(clock, not_before=100.5)
        self.assertEqual([0.5, 0.56], sent)

    def test_the_first_get_waits_for_the_time_it_may_be_done(self):
        clock = Clock(get_time=0.001, done_at=100.0)
        self.assertEqual([0.3], self.wait(clock, not_before=100.3))

    def test_the_end_is_bracketed_by_the_last_get_that_saw_it_running(self):
        clock = Clock(get_time=0.006, done_at=100.53)
        seen = {}
        self.assertEqual([0.5, 0.52, 0.54], self.wait(clock, 100.5, seen))
        # Sent at 0.52 s, answered IN_PROGRESS: the end came after.
        self.assertAlmostEqual(100.52, seen['running'])

    def test_an_end_seen_at_the_first_get_was_never_seen_running(self):
        clock = Clock(get_time=0.006, done_at=100.0)
        seen = {}
        self.wait(clock, 100.5, seen)
        self.assertIsNone(seen['running'])


class Stack(FakeTime):
    """A stack whose statuses are ``statuses``, one per GET (the last one
    for ever after).
    """

    def __init__(self, statuses):
        super().__init__()
        self.statuses = list(statuses)
        self.seen = []

    def stack_status(self, path):
        status = (self.statuses.pop(0) if len(self.statuses) > 1
                  else self.statuses[0])
        self.seen.append(status)
        return status, 'reason of %s' % status


class WaitStackTest(base.TestCase):

    def wait(self, stack, **kwargs):
        target = targets.Target.__new__(targets.Target)
        target.stack_status = stack.stack_status
        with stack.patched():
            target.wait_stack('/stack', 'RESTORE_COMPLETE', **kwargs)

    def test_a_restore_not_begun_yet_is_waited_for(self):
        # Heat's engine marks the stack RESTORE_IN_PROGRESS after its
        # 202: the first GETs still see the snapshot's status.
        stack = Stack(['SNAPSHOT_COMPLETE', 'SNAPSHOT_COMPLETE',
                       'RESTORE_IN_PROGRESS', 'RESTORE_COMPLETE'])
        self.wait(stack, before='SNAPSHOT_COMPLETE')
        self.assertEqual('RESTORE_COMPLETE', stack.seen[-1])
        self.assertEqual(4, len(stack.seen))

    def test_a_status_other_than_the_one_before_is_an_answer(self):
        stack = Stack(['SNAPSHOT_COMPLETE', 'RESTORE_FAILED'])
        error = self.assertRaises(targets.Failed, self.wait, stack,
                                  before='SNAPSHOT_COMPLETE')
        self.assertIn('RESTORE_FAILED (reason of RESTORE_FAILED), not '
                      'RESTORE_COMPLETE', str(error))

    def test_without_the_status_before_any_other_end_is_an_answer(self):
        stack = Stack(['SNAPSHOT_COMPLETE', 'RESTORE_COMPLETE'])
        error = self.assertRaises(targets.Failed, self.wait, stack)
        self.assertIn('SNAPSHOT_COMPLETE', str(error))
        self.assertEqual(['SNAPSHOT_COMPLETE'], stack.seen)

    def test_a_restore_that_never_begins_fails_at_the_timeout(self):
        stack = Stack(['SNAPSHOT_COMPLETE'])
        error = self.assertRaises(targets.Failed, self.wait, stack,
                                  before='SNAPSHOT_COMPLETE', timeout=5)
        self.assertIn('still SNAPSHOT_COMPLETE after 5 s', str(error))
        self.assertGreaterEqual(stack.now, 105.0)
