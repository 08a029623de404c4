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

"""Keeps tests off the shared servers while one test restarts them.

The ``mysql`` and ``postgresql`` deployments of every test process (and of
every other run on the machine) share one MariaDB, one PostgreSQL and one
RabbitMQ. A test that restarts one of them takes ``ServerLock(exclusive=
True)``; every other test of a deployment on those servers holds
``ServerLock()`` (shared) from before its deployment is started until it
ends. The locks are flock(2) locks on files in the temporary directory, so
they hold across stestr's worker processes and across concurrent runs, and
they go with a process that dies.

A waiting exclusive lock goes first: shared lockers pass a turnstile that
the exclusive locker holds while it waits, so a steady stream of ordinary
tests cannot starve it.

The lock file holds a generation, raised by each exclusive locker. A shared
locker that sees a generation its deployment has not seen yet knows the
servers were restarted since, and waits for its services to answer again
(``ServerLock.restarted``).
"""

import errno
import fcntl
import os
import tempfile
import time

import fixtures

# Read at import, as deployment.TEMP_DIR: oslotest gives each test a
# temporary directory of its own.
TEMP_DIR = tempfile.gettempdir()
LOCK_PATH = os.path.join(TEMP_DIR, 'heat-snapshots-functional-servers.lock')
TURNSTILE_PATH = LOCK_PATH + '.turnstile'
POLL_INTERVAL = 0.2
DEFAULT_TIMEOUT = 600


class LockTimeout(Exception):
    """The lock was not free in time."""


def _flock(f, operation, deadline, what):
    while True:
        try:
            fcntl.flock(f, operation | fcntl.LOCK_NB)
            return
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() > deadline:
            raise LockTimeout('%s: still taken after waiting (held by a '
                              'test that restarts the shared servers, or '
                              'by the tests it waits for)' % what)
        time.sleep(POLL_INTERVAL)


def _read_generation(f):
    f.seek(0)
    text = f.read().strip()
    try:
        return int(text or 0)
    except ValueError:
        return 0


class ServerLock(fixtures.Fixture):
    """Shared (default) or exclusive use of the shared servers.

    After setUp, ``generation`` is the number of restarts recorded so far.
    An exclusive locker calls ``record_restart()`` after restarting.
    """

    def __init__(self, exclusive=False, timeout=DEFAULT_TIMEOUT,
                 lock_path=LOCK_PATH, turnstile_path=TURNSTILE_PATH):
        super().__init__()
        self.exclusive = exclusive
        self.timeout = timeout
        self.lock_path = lock_path
        self.turnstile_path = turnstile_path
        self.generation = None

    def _setUp(self):
        deadline = time.monotonic() + self.timeout
        turnstile = open(self.turnstile_path, 'a+')
        self.addCleanup(turnstile.close)
        _flock(turnstile, fcntl.LOCK_EX, deadline, self.turnstile_path)
        try:
            lock = open(self.lock_path, 'a+')
            self.addCleanup(lock.close)
            _flock(lock, fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH,
                   deadline, self.lock_path)
            self.addCleanup(fcntl.flock, lock, fcntl.LOCK_UN)
            self._lock = lock
            self.generation = _read_generation(lock)
        finally:
            if not self.exclusive:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
        if self.exclusive:
            self.addCleanup(fcntl.flock, turnstile, fcntl.LOCK_UN)

    def record_restart(self):
        """Tell later shared lockers that the servers were restarted."""
        if not self.exclusive:
            raise RuntimeError('only an exclusive locker restarts servers')
        self.generation += 1
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write('%d\n' % self.generation)
        self._lock.flush()
        os.fsync(self._lock.fileno())
