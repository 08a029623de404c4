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

"""A fake clock for the engine's walks: waits take no time."""

import threading

import fixtures

# The modules whose ``time`` the clock stands in for: the walks' deadlines
# and polls.
MODULES = ('heat_snapshots.engine.walk', 'heat_snapshots.engine.snapshots')


class FakeClock(fixtures.Fixture):
    """``time.monotonic()`` and ``time.sleep()`` of the walks, faked.

    A sleep returns at once and moves the clock on by its length, so a
    poll that waits an hour takes no time and its checks' times can be
    read in ``sleeps``.

    :param modules: the modules whose ``time`` to replace (the walks'
        by default).
    """

    def __init__(self, start=1000.0, modules=MODULES):
        super().__init__()
        self.modules = modules
        self.now = start
        self.sleeps = []
        self._lock = threading.Lock()

    def _setUp(self):
        for module in self.modules:
            self.useFixture(fixtures.MonkeyPatch(module + '.time', self))

    def monotonic(self):
        with self._lock:
            return self.now

    def sleep(self, seconds):
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(seconds, 0)

    def advance(self, seconds):
        with self._lock:
            self.now += seconds


class HeldClock(FakeClock):
    """A FakeClock whose sleeps hold until ``released`` is set; ``waiting``
    says that one began. An operation that waits by sleeping (a stack
    CRUD step) stays in progress for as long as the test needs.

    :param hold: how long a sleep holds at most, a guard against a test
        that never releases it.
    """

    def __init__(self, modules=MODULES, hold=30):
        super().__init__(modules=modules)
        self.hold = hold
        self.waiting = threading.Event()
        self.released = threading.Event()

    def sleep(self, seconds):
        self.waiting.set()
        self.released.wait(self.hold)
        super().sleep(seconds)
