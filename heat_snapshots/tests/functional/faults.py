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

"""What the fault-injection tests (test_faults.py) need besides the API.

* ``FaultDeployment``: the ``mysql`` deployment (heat-snapshots-api and two
  heat-snapshots-engine processes on RabbitMQ and MariaDB) with quick
  heartbeats, a short engine down time, a quick reconciler and a short RPC
  timeout, so that recovery takes seconds; it kills (SIGKILL), stops and
  starts its engines one by one.
* ``Database``: the deployment's tables read directly with SQLAlchemy,
  tolerating a database that is being restarted.
* ``restart_rabbitmq``, ``restart_mariadb``, ``ensure_*``: the shared
  servers, stopped and started again (always started again).
* ``record_figures``: what each test did and found, as one JSON line.
"""

import fcntl
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from heat_snapshots.tests.functional import deployment as hs_deployment

NAME = 'mysql-faults'

HEARTBEAT_INTERVAL = 1
ENGINE_DOWN_TIME = 4
RECONCILE_INTERVAL = 2
RPC_TIMEOUT = 5
# Dead engine noticed, plus a few heartbeats of slack.
RECOVERY_TIME = ENGINE_DOWN_TIME + 6 * HEARTBEAT_INTERVAL + 10

# HS_FUNCTIONAL_FIGURES: where .ci/run wants the figures of its own run.
FIGURES_PATH = os.environ.get('HS_FUNCTIONAL_FIGURES') or os.path.join(
    hs_deployment.TEMP_DIR, 'heat-snapshots-fault-figures.jsonl')

MARIADB = '/usr/sbin/mariadbd'
SERVER_TIMEOUT = 60


class FaultDeployment(hs_deployment.MySQLDeployment):
    """The mysql deployment, tuned for quick recovery, engines at hand."""

    name = NAME

    def _conf(self):
        conf = super()._conf()
        conf['DEFAULT']['rpc_response_timeout'] = RPC_TIMEOUT
        conf['heat_snapshots'].update({
            'heartbeat_interval': HEARTBEAT_INTERVAL,
            'engine_down_time': ENGINE_DOWN_TIME,
            'reconcile_interval': RECONCILE_INTERVAL,
            'action_timeout': 300,
            'check_interval_max': 0.2,
        })
        # Reconnect to a restarted broker within seconds.
        conf['oslo_messaging_rabbit'].update({
            'rabbit_retry_interval': 1,
            'rabbit_retry_backoff': 1,
            'rabbit_interval_max': 2,
        })
        return conf

    def stop(self, keep=False):
        database = getattr(self, '_database_reader', None)
        if database is not None:
            database.dispose()
        super().stop(keep=keep)

    # --- engines ----------------------------------------------------------

    def engine(self, name):
        for process in self.engine_processes():
            if process.name == name:
                return process
        raise KeyError(name)

    def current_engine_id(self, name):
        """The id the engine process logged last (it changes on restart)."""
        process = self.engine(name)
        found = None
        with open(process.log_path, errors='replace') as f:
            for match in hs_deployment.ENGINE_LISTENING.finditer(f.read()):
                if match.group('topic') == self.topic:
                    found = match.group('engine_id')
        return found

    def engine_by_id(self, engine_id):
        """The engine process now running as ``engine_id``, or None."""
        for process in self.engine_processes():
            if process.running() and \
                    self.current_engine_id(process.name) == engine_id:
                return process
        return None

    def kill_engine(self, name):
        """SIGKILL: no cleanup, no last heartbeat, locks left behind."""
        process = self.engine(name)
        process.popen.send_signal(signal.SIGKILL)
        process.popen.wait()
        process.stop()

    def stop_engine(self, name):
        """SIGTERM: the engine's own graceful stop."""
        self.engine(name).stop()

    def start_engine(self, name):
        """Start a stopped engine; wait until it listens under a new id."""
        process = self.engine(name)
        if process.running():
            return
        old = self.current_engine_id(name)
        process.start()
        deadline = time.monotonic() + hs_deployment.START_TIMEOUT
        while self.current_engine_id(name) in (None, old):
            if not process.running():
                raise hs_deployment.StartFailed(
                    '%s exited with status %s:\n%s' % (
                        name, process.popen.returncode,
                        hs_deployment.tail(process.log_path)))
            if time.monotonic() > deadline:
                raise hs_deployment.StartFailed(
                    '%s: not listening after %s s' % (
                        name, hs_deployment.START_TIMEOUT))
            time.sleep(0.1)

    def start_engines(self):
        for process in self.engine_processes():
            self.start_engine(process.name)

    def reader(self):
        if getattr(self, '_database_reader', None) is None:
            self._database_reader = Database(self.db_url)
        return self._database_reader


# deployment.get(NAME) starts it once per process, as the others.
hs_deployment.CLASSES.setdefault(NAME, FaultDeployment)


SUITE_NAME = 'mysql-fault-suite'
SUITE_MAX_SNAPSHOTS = 32
FAULT_ENGINE_MODULE = 'heat_snapshots.tests.functional.fault_engine'


class FaultSuiteDeployment(FaultDeployment):
    """Three engines run by fault_engine.py, the DB fault hook in each.

    The engines share one control file (``control_path``) whose rules
    inject database errors or waits, and each logs the writes it commits
    (``writes_path(name)``). ``restart_engine(name, clock_offset)`` runs
    an engine again with its clock off (libfaketime).
    """

    name = SUITE_NAME
    engines = 3

    def __init__(self):
        super().__init__()
        self.prefixes = {}

    def _conf(self):
        conf = super()._conf()
        conf['heat_snapshots']['max_snapshots_per_stack'] = (
            SUITE_MAX_SNAPSHOTS)
        return conf

    @property
    def control_path(self):
        return os.path.join(self.dir, 'fault-control.json')

    @property
    def calls_path(self):
        return os.path.join(self.dir, 'fault-calls.jsonl')

    def calls(self, since=None):
        """TestResource's artifact calls (fault_engine.py), after since."""
        found = []
        try:
            with open(self.calls_path) as f:
                for line in f:
                    try:
                        call = json.loads(line)
                    except ValueError:
                        continue
                    if since is None or call['time'] > since:
                        found.append(call)
        except FileNotFoundError:
            pass
        return found

    def writes_path(self, name):
        return os.path.join(self.dir, '%s.writes.jsonl' % name)

    def engine_command(self, name, args):
        argv = [sys.executable, '-m', FAULT_ENGINE_MODULE] + args
        env = {'HS_FAULT_CONTROL': self.control_path,
               'HS_FAULT_WRITES': self.writes_path(name),
               'HS_FAULT_CALLS': self.calls_path,
               'HS_FAULT_ENGINE': name}
        return argv, env

    def restart_engine(self, name, clock_offset=None):
        """Stop engine ``name``; start it again, its clock ``clock_offset``
        ('+5m', '-5m': libfaketime's FAKETIME) off, or right (None).

        libfaketime is preloaded into the engine itself: the ``faketime``
        wrapper forks and waits, so stopping it left the skewed engine
        running on, taking RPC calls and locks through later tests.
        """
        process = self.engine(name)
        self.stop_engine(name)
        for key in FAKETIME_ENV:
            process.env.pop(key, None)
        if clock_offset is not None:
            # Only the wall clock, as on a host whose clock is off: with
            # CLOCK_MONOTONIC shifted too, every timed wait (a lock's, an
            # Event's: the heartbeat's) computes its deadline on the
            # shifted clock and the kernel waits on the real one, so a
            # 1 s wait lasts 5 minutes at +5m.
            process.env.update({'LD_PRELOAD': libfaketime(),
                                'FAKETIME': clock_offset,
                                'FAKETIME_NO_CACHE': '1',
                                'DONT_FAKE_MONOTONIC': '1'})
        self.start_engine(name)

    @staticmethod
    def clock_offset(process):
        """The clock offset an engine runs with (restart_engine), or None.
        """
        return process.env.get('FAKETIME')

    # --- faults -------------------------------------------------------------

    def set_rules(self, rules):
        """Replace the hook's rules (see fault_engine.py)."""
        with open(self.control_path + '.tmp', 'w') as f:
            json.dump({'rules': rules}, f)
        os.rename(self.control_path + '.tmp', self.control_path)

    def rules(self):
        try:
            with open(self.control_path) as f:
                fcntl.flock(f, fcntl.LOCK_SH)
                return json.load(f).get('rules', [])
        except (OSError, ValueError):
            return []

    def clear_rules(self):
        try:
            os.unlink(self.control_path)
        except FileNotFoundError:
            pass

    def writes_offset(self, name):
        """Where engine ``name``'s write log ends now (see writes())."""
        try:
            return os.path.getsize(self.writes_path(name))
        except FileNotFoundError:
            return 0

    def writes(self, name, since=None, offset=0):
        """Writes engine ``name`` committed: logged after ``offset`` (from
        writes_offset()), and after ``since`` (time()) by the engine's
        clock.

        An engine's clock may have been set off by an earlier test: its
        times are no guide to what it wrote since; the offset is.
        """
        found = []
        try:
            with open(self.writes_path(name)) as f:
                f.seek(offset)
                for line in f:
                    try:
                        write = json.loads(line)
                    except ValueError:
                        continue
                    if since is None or write['committed'] > since:
                        found.append(write)
        except FileNotFoundError:
            pass
        return found


hs_deployment.CLASSES.setdefault(SUITE_NAME, FaultSuiteDeployment)

FAKETIME_ENV = ('LD_PRELOAD', 'FAKETIME', 'FAKETIME_NO_CACHE',
                'DONT_FAKE_MONOTONIC')
# Where Debian's faketime package puts the library (multi-threaded build:
# an engine runs threads).
LIBFAKETIME = ('/usr/lib/*/faketime/libfaketimeMT.so.1',
               '/usr/lib/faketime/libfaketimeMT.so.1',
               '/usr/local/lib/faketime/libfaketimeMT.so.1')


def libfaketime():
    """The path of libfaketimeMT.so.1, or None when it is not installed."""
    for pattern in LIBFAKETIME:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


class Database:
    """The deployment's tables, read the way no API shows them."""

    def __init__(self, url):
        self.engine = sa.create_engine(url, pool_pre_ping=True)

    def dispose(self):
        self.engine.dispose()

    def rows(self, statement, **params):
        with self.engine.connect() as connection:
            return [row._asdict() for row in
                    connection.execute(sa.text(statement), params)]

    def rows_retrying(self, statement, timeout=SERVER_TIMEOUT, **params):
        """rows(), through a database being restarted."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.rows(statement, **params)
            except sa.exc.OperationalError:
                if time.monotonic() > deadline:
                    raise
                self.engine.dispose()
                time.sleep(0.5)

    def snapshot(self, snapshot_id):
        found = self.rows_retrying(
            'SELECT id, stack_id, action, status, status_reason, engine_id '
            'FROM hs_snapshots WHERE id = :id', id=snapshot_id)
        return found[0] if found else None

    def resource_snapshots(self, snapshot_id):
        rows = self.rows_retrying(
            'SELECT resource_name, action, status, data FROM '
            'hs_resource_snapshots WHERE snapshot_id = :id', id=snapshot_id)
        for row in rows:
            if isinstance(row['data'], str):
                row['data'] = json.loads(row['data'])
        return {row['resource_name']: row for row in rows}

    def artifacts(self, snapshot_id=None):
        statement = 'SELECT id, snapshot_id, resource_name FROM hs_artifacts'
        if snapshot_id is None:
            return self.rows_retrying(statement)
        return self.rows_retrying(statement + ' WHERE snapshot_id = :id',
                                  id=snapshot_id)

    def stack(self, stack_id):
        found = self.rows_retrying(
            'SELECT id, action, status, status_reason FROM hs_local_stacks '
            'WHERE id = :id', id=stack_id)
        return found[0] if found else None

    def locks(self, stack_id=None):
        """The stack locks held (a lock row stays, with no engine, once its
        stack is free: its generation only grows).
        """
        statement = ('SELECT stack_id, engine_id, action, generation, '
                     'delete_pending FROM hs_stack_locks '
                     'WHERE engine_id IS NOT NULL')
        if stack_id is None:
            return self.rows_retrying(statement)
        return self.rows_retrying(statement + ' AND stack_id = :id',
                                  id=stack_id)

    def unreferenced_artifacts(self):
        """Artifacts no snapshot (or no resource row of it) names."""
        return self.rows_retrying(
            'SELECT a.id, a.snapshot_id, a.resource_name FROM hs_artifacts a '
            'LEFT JOIN hs_snapshots s ON s.id = a.snapshot_id '
            'LEFT JOIN hs_resource_snapshots r '
            'ON r.snapshot_id = a.snapshot_id '
            'AND r.resource_name = a.resource_name '
            'WHERE s.id IS NULL OR r.id IS NULL')

    def resources_in_progress(self):
        """Resources, and resources' snapshot rows, IN_PROGRESS."""
        return self.rows_retrying(
            "SELECT 'resource' AS kind, name, action FROM hs_local_resources "
            "WHERE status = 'IN_PROGRESS' UNION ALL "
            "SELECT 'resource snapshot', resource_name, action FROM "
            "hs_resource_snapshots WHERE status = 'IN_PROGRESS'")

    def in_progress(self):
        """Every snapshot and stack of the deployment IN_PROGRESS."""
        return {
            'snapshots': self.rows_retrying(
                "SELECT id, action, status_reason FROM hs_snapshots "
                "WHERE status = 'IN_PROGRESS'"),
            'stacks': self.rows_retrying(
                "SELECT id, action, status_reason FROM hs_local_stacks "
                "WHERE status = 'IN_PROGRESS'"),
        }


def wait_for(check, what, timeout, interval=0.02):
    """Call ``check()`` until it returns something true; return it."""
    deadline = time.monotonic() + timeout
    seen = None
    while True:
        seen = check()
        if seen:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError('%s: not within %s s' % (what, timeout))
        time.sleep(interval)


# --- the shared servers ---------------------------------------------------

def _run(argv, timeout=SERVER_TIMEOUT):
    return subprocess.run(argv, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)


def _reachable(host, port):
    try:
        hs_deployment.check_reachable('server', host, port, timeout=1)
        return True
    except hs_deployment.ServiceUnavailable:
        return False


def rabbitmqctl():
    path = shutil.which('rabbitmqctl')
    if path is None:
        raise hs_deployment.ServiceUnavailable(
            'rabbitmqctl not found: RabbitMQ cannot be restarted')
    return path


def rabbitmq_running():
    return _run([rabbitmqctl(), 'await_startup', '--timeout', '1'],
                timeout=30).returncode == 0


def ensure_rabbitmq(host='127.0.0.1', port=5672):
    """Start RabbitMQ's application if it is stopped; wait for its port."""
    if not _reachable(host, port):
        _run([rabbitmqctl(), 'start_app'])
    wait_for(lambda: _reachable(host, port), 'RabbitMQ listening',
             SERVER_TIMEOUT, interval=0.2)


def restart_rabbitmq(down_secs, host='127.0.0.1', port=5672):
    """stop_app, ``down_secs`` without a broker, start_app.

    :returns: seconds the broker did not accept connections.
    """
    stopped = time.monotonic()
    result = _run([rabbitmqctl(), 'stop_app'])
    if result.returncode != 0:
        raise AssertionError('rabbitmqctl stop_app: %s' % result.stdout)
    time.sleep(down_secs)
    ensure_rabbitmq(host, port)
    return time.monotonic() - stopped


def mariadb_pid():
    try:
        with open('/run/mysqld/mysqld.pid') as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _mariadb_answers():
    return _run(['mysqladmin', '-uroot', '--connect-timeout=1', 'ping'],
                timeout=10).returncode == 0


def ensure_mariadb(host='127.0.0.1', port=3306):
    """Start mariadbd unless it answers; wait until it does."""
    if not _mariadb_answers():
        _run(['start-stop-daemon', '--start', '--oknodo', '--background',
              '--exec', MARIADB])
    wait_for(lambda: _reachable(host, port) and _mariadb_answers(),
             'MariaDB answering', SERVER_TIMEOUT, interval=0.2)


def restart_mariadb(down_secs, host='127.0.0.1', port=3306):
    """Shut MariaDB down, wait ``down_secs``, start it again.

    :returns: seconds the server did not accept connections.
    """
    stopped = time.monotonic()
    result = _run(['mysqladmin', '-uroot', 'shutdown'])
    if result.returncode != 0:
        raise AssertionError('mysqladmin shutdown: %s' % result.stdout)
    wait_for(lambda: not _reachable(host, port), 'MariaDB stopped',
             SERVER_TIMEOUT, interval=0.1)
    time.sleep(down_secs)
    ensure_mariadb(host, port)
    return time.monotonic() - stopped


# --- figures --------------------------------------------------------------

def record_figures(figures, path=FIGURES_PATH):
    """Append one test's figures to the run's JSON lines file."""
    line = json.dumps(figures, sort_keys=True)
    with open(path, 'a') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(line + '\n')
    return line


def summarise(path=FIGURES_PATH):
    """Totals of the figures in ``path``."""
    totals = {'tests': 0, 'kills': 0, 'kills_by_phase': {},
              'server_restarts': 0, 'in_progress_after_recovery': 0,
              'resources_in_progress_after_recovery': 0,
              'unreferenced_artifacts': 0}
    with open(path) as f:
        for line in f:
            figures = json.loads(line)
            totals['tests'] += 1
            totals['kills'] += figures.get('kills', 0)
            phase = figures.get('phase')
            if figures.get('kills'):
                totals['kills_by_phase'][phase] = (
                    totals['kills_by_phase'].get(phase, 0) +
                    figures['kills'])
            totals['server_restarts'] += figures.get('server_restarts', 0)
            totals['in_progress_after_recovery'] += figures.get(
                'in_progress_after_recovery', 0)
            totals['unreferenced_artifacts'] += figures.get(
                'unreferenced_artifacts', 0)
            totals['resources_in_progress_after_recovery'] += figures.get(
                'resources_in_progress_after_recovery', 0)
    return totals


SUITE_FIGURES = ('in_progress_after_recovery', 'fenced_writes',
                 'resources_snapshotted_twice', 'snapshots_over_limit',
                 'artifacts_unrecorded', 'artifacts_missing_from_complete')
SUITE_ITEMS = tuple(range(1, 9))


def suite_figures(path=FIGURES_PATH):
    """The fault suite's totals (faults_suite.py), from its records."""
    totals = dict.fromkeys(SUITE_FIGURES, 0)
    scenarios = 0
    items = set()
    with open(path) as f:
        for line in f:
            figures = json.loads(line)
            if not figures.get('suite_item'):
                continue
            scenarios += 1
            items.add(figures['suite_item'])
            for key in SUITE_FIGURES:
                totals[key] += figures.get(key) or 0
    return scenarios, sorted(items), totals


def suite_line(path=FIGURES_PATH):
    scenarios, items, totals = suite_figures(path)
    return 'fault-suite: scenarios=%d %s items=%s' % (
        scenarios, ' '.join('%s=%d' % (key, totals[key])
                            for key in SUITE_FIGURES),
        ','.join(str(item) for item in items) or '-')


def check_suite(path=FIGURES_PATH):
    """Print the figures line; problems (empty when all is well)."""
    try:
        scenarios, items, totals = suite_figures(path)
    except FileNotFoundError:
        return ['no figures recorded at %s: the fault suite did not run'
                % path]
    print(suite_line(path))
    problems = ['%s=%d (must be 0)' % (key, value)
                for key, value in totals.items() if value]
    if not scenarios:
        problems.append('no fault-suite scenario ran')
    missing = sorted(set(SUITE_ITEMS) - set(items))
    if missing:
        problems.append('no scenario of item(s) %s ran'
                        % ', '.join(map(str, missing)))
    return problems


if __name__ == '__main__':
    import sys as _sys
    if '--suite' in _sys.argv:
        found = check_suite()
        for problem in found:
            print('fault-suite: %s' % problem, file=_sys.stderr)
        _sys.exit(1 if found else 0)
    print(json.dumps(summarise(), indent=2, sort_keys=True))
