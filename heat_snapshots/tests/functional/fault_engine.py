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

"""heat-snapshots-engine with a test-only database fault hook.

Run as ``python -m heat_snapshots.tests.functional.fault_engine
--config-file ...`` by the fault suite (faults.FaultSuiteDeployment) only:
it installs a SQLAlchemy ``before_cursor_execute`` listener, then runs
``heat_snapshots.cmd.engine.main()``. Nothing of it is imported by the
service itself; without HS_FAULT_CONTROL it changes nothing.

HS_FAULT_CONTROL names a JSON file shared by the deployment's engines::

    {"rules": [{"id": "r1", "match": "^UPDATE hs_snapshots",
                "engines": ["heat-snapshots-engine-1"],
                "skip": 0, "count": 1,
                "error": "deadlock" | "disconnect" | "lost" | "generic",
                "sleep": 0, "fired": []}]}

A statement matching ``match`` (a regular expression, searched) on one of
``engines`` (all when absent) first lets ``skip`` matches through, then
``count`` times sleeps ``sleep`` seconds and/or raises the real driver
error ``error`` (so that oslo.db translates it as in production). Each time
a rule fires, {engine, time, statement} is appended to its ``fired`` list.
The file is read and written under flock(2), so a rule fires ``count``
times across all engines.

HS_FAULT_WRITES names a JSON lines file to which the hook appends, at each
commit, the INSERT/UPDATE/DELETE statements on hs_* tables other than
hs_engines that the transaction made: {engine, time, table, statement}.
The fencing scenario counts those an engine made after it was fenced.
Writes that changed no row (a condition not met) are not logged.

HS_FAULT_CALLS names a JSON lines file of OS::Heat::TestResource's
``handle_snapshot`` and ``handle_delete_snapshot`` calls: {engine, time,
call, snapshot, resource}. Rules matching ``HOOK <call>`` hold or fail
those calls and the plugin's ``list_artifacts`` (the reconciler's
listing).
"""

import fcntl
import json
import os
import re
import threading
import time

import pymysql
import sqlalchemy as sa

CONTROL_ENV = 'HS_FAULT_CONTROL'
WRITES_ENV = 'HS_FAULT_WRITES'
NAME_ENV = 'HS_FAULT_ENGINE'
CALLS_ENV = 'HS_FAULT_CALLS'

ERRORS = {
    'deadlock': (1213, 'Deadlock found when trying to get lock; try '
                       'restarting transaction'),
    'disconnect': (2006, 'MySQL server has gone away'),
    'lost': (2013, 'Lost connection to MySQL server during query'),
    'generic': (1105, 'Unknown error (injected by the fault suite)'),
}

WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+`?(hs_\w+)',
                   re.IGNORECASE)
# A write's first characters: enough to tell it, no parameter values.
STATEMENT_CHARS = 160

_LOCK = threading.Lock()


def _name():
    return os.environ.get(NAME_ENV, 'engine-%d' % os.getpid())


def _error(kind):
    code, message = ERRORS[kind]
    return pymysql.err.OperationalError(code, message)


def _apply_rules(path, statement):
    """Fire the first rule ``statement`` matches; what to do, or None."""
    try:
        f = open(path, 'r+')
    except OSError:
        return None
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            control = json.load(f)
        except ValueError:
            return None
        action = None
        for rule in control.get('rules', ()):
            engines = rule.get('engines')
            if engines and _name() not in engines:
                continue
            if not re.search(rule['match'], statement):
                continue
            if rule.get('skip', 0) > 0:
                rule['skip'] -= 1
            elif len(rule.setdefault('fired', [])) < rule.get('count', 1):
                rule['fired'].append({'engine': _name(), 'time': time.time(),
                                      'statement':
                                          statement[:STATEMENT_CHARS]})
                action = (rule.get('sleep', 0), rule.get('error'))
            else:
                continue
            f.seek(0)
            f.truncate()
            json.dump(control, f)
            f.flush()
            break
        return action


def before_cursor_execute(conn, cursor, statement, parameters, context,
                          executemany):
    path = os.environ.get(CONTROL_ENV)
    if path and os.path.exists(path):
        action = _apply_rules(path, statement)
        if action is not None:
            sleep, error = action
            if sleep:
                time.sleep(sleep)
            if error:
                raise _error(error)


def after_cursor_execute(conn, cursor, statement, parameters, context,
                         executemany):
    if not os.environ.get(WRITES_ENV):
        return
    match = WRITE.match(statement)
    # Only writes that changed something: a write its condition (a
    # fencing token, an expected status) turned into a no-op is none.
    if match and match.group(2).lower() != 'hs_engines' and \
            getattr(cursor, 'rowcount', 1) != 0:
        conn.info.setdefault('hs_fault_writes', []).append(
            {'engine': _name(), 'time': time.time(),
             'table': match.group(2).lower(),
             'rows': getattr(cursor, 'rowcount', None),
             'statement': statement[:STATEMENT_CHARS]})


def _pending_writes(conn):
    """Take the writes logged on ``conn``'s transaction, if any.

    Never raises: on a connection the error invalidated (a disconnect),
    reading ``conn.info`` would revalidate it and raise
    PendingRollbackError from inside the rollback, masking the error that
    the service's retry is waiting for. Its writes went with it anyway.
    """
    try:
        if conn.invalidated:
            return None
        return conn.info.pop('hs_fault_writes', None)
    except Exception:  # nosec: the hook must not change what fails
        return None


def _committed(conn):
    writes = _pending_writes(conn)
    path = os.environ.get(WRITES_ENV)
    if not writes or not path:
        return
    now = time.time()
    with _LOCK, open(path, 'a') as f:
        for write in writes:
            write['committed'] = now
            f.write(json.dumps(write) + '\n')


def _rolled_back(conn):
    _pending_writes(conn)


def _record_call(call, snapshot_id, resource):
    path = os.environ.get(CALLS_ENV)
    if not path:
        return
    with _LOCK, open(path, 'a') as f:
        f.write(json.dumps({'engine': _name(), 'time': time.time(),
                            'call': call, 'snapshot': snapshot_id,
                            'resource': resource}) + '\n')


def _hook(call):
    """Rules may hold (sleep) or fail a plugin call: 'HOOK <call>'."""
    path = os.environ.get(CONTROL_ENV)
    if path and os.path.exists(path):
        action = _apply_rules(path, 'HOOK %s' % call)
        if action is not None:
            sleep, error = action
            if sleep:
                time.sleep(sleep)
            if error:
                raise RuntimeError('injected by the fault suite')


def _instrument_test_resource():
    """Log TestResource's artifact calls; let rules hold its listing."""
    from heat_snapshots.localstack import resource_types
    plugin = resource_types.TestResource

    def wrap(name):
        original = getattr(plugin, name)

        def instrumented(self, *args, **kwargs):
            _record_call(name, getattr(self, 'snapshot_id', None),
                         getattr(getattr(self, 'resource', None), 'name',
                                 None))
            _hook(name)
            return original(self, *args, **kwargs)
        setattr(plugin, name, instrumented)

    for name in ('handle_snapshot', 'handle_delete_snapshot'):
        wrap(name)
    listing = getattr(plugin, 'list_artifacts', None)
    if listing is not None:
        def list_artifacts(cls, *args, **kwargs):
            # The reconciler's listing: a hung cloud API.
            _hook('list_artifacts')
            return listing(*args, **kwargs)
        plugin.list_artifacts = classmethod(list_artifacts)


def _sleep(seconds):
    """time.sleep() on a timed wait of a lock instead of clock_nanosleep.
    """
    if seconds < 0:
        raise ValueError('sleep length must be non-negative')
    threading.Event().wait(seconds)


def skew_safely():
    """Let an engine run under libfaketime (the clock-skew scenario).

    faults.FaultSuiteDeployment skews only the wall clock
    (DONT_FAKE_MONOTONIC: a host's clock being off never stretches its
    timed waits). libfaketime 0.9.10 (Debian's) then turns Python 3.11's
    time.sleep(), a clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), into
    EINVAL (wolfcw/libfaketime#426); timed waits of locks and selects are
    not touched and stay right, so sleeps use one. Nothing changes
    without libfaketime.
    """
    if os.environ.get('FAKETIME') and os.environ.get('DONT_FAKE_MONOTONIC'):
        time.sleep = _sleep


def install():
    sa.event.listen(sa.engine.Engine, 'before_cursor_execute',
                    before_cursor_execute, retval=False)
    sa.event.listen(sa.engine.Engine, 'after_cursor_execute',
                    after_cursor_execute)
    sa.event.listen(sa.engine.Engine, 'commit', _committed)
    sa.event.listen(sa.engine.Engine, 'rollback', _rolled_back)


def main():
    skew_safely()
    install()
    _instrument_test_resource()
    from heat_snapshots.cmd import engine
    engine.main()


if __name__ == '__main__':
    main()
