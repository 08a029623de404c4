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

"""The services the functional tests talk to, started once per process.

``get(name)`` starts a deployment the first time a test of this process
asks for it and hands the same one to every later test; everything
started is stopped (SIGTERM, then SIGKILL) and every database made is
dropped when the process exits. stestr runs a few test processes, each
with its own deployments.

* ``embedded``: heat-snapshots-all (in-process RPC, SQLite in a temporary
  state_path).
* ``mysql``, ``postgresql``: heat-snapshots-api and two
  heat-snapshots-engine processes on RabbitMQ, with their own topic and
  control exchange, on a fresh database migrated with
  ``heat-snapshots-manage db sync``.
* ``external``: HS_FUNCTIONAL_ENDPOINT, started by someone else.
"""

import atexit
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from urllib import parse
import uuid

import requests
import sqlalchemy as sa

from heat_snapshots.tests.functional import config

START_TIMEOUT = 90
STOP_TIMEOUT = 30
LOG_TAIL_LINES = 150

# Read at import: oslotest gives each test a temporary directory of its own
# that goes with the test, and a deployment outlives the test that starts
# it.
TEMP_DIR = tempfile.gettempdir()

ENGINE_LISTENING = re.compile(
    r'Engine (?P<engine_id>\S+) listening on topic (?P<topic>\S+)')


class ServiceUnavailable(Exception):
    """A server a deployment needs (database, broker) is not reachable."""


class StartFailed(Exception):
    """The deployment's processes did not come up; logs in the message."""


def check_reachable(what, host, port, timeout=3):
    """:raises: ServiceUnavailable naming ``what`` and its address."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError:
        raise ServiceUnavailable('%s not reachable at %s:%s'
                                 % (what, host, port))


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def command(script, module):
    """A console script of the Python running the tests.

    Falls back to ``python -m module`` when the script is not installed
    next to the interpreter.
    """
    path = os.path.join(os.path.dirname(sys.executable), script)
    if os.access(path, os.X_OK):
        return [path]
    return [sys.executable, '-m', module]


def _die_with_parent():
    # Linux: a service must not outlive a test process that was killed
    # before its atexit handlers ran.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except Exception:  # nosec: best effort, other platforms
        pass


def tail(path, lines=LOG_TAIL_LINES):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError as error:
        return '(%s)' % error


def run_logged(argv, log, unavailable, timeout, env=None, what=None):
    """Run ``argv``, its output appended to ``log``.

    :raises: ``unavailable`` (an exception class) with the output's tail
        when the command cannot run or fails.
    """
    with open(log, 'ab') as out:
        out.write(('$ %s\n' % ' '.join(argv)).encode())
        out.flush()
        try:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    timeout=timeout, env=env)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise unavailable('%s: %s' % (what or argv[0], error))
    if result.returncode:
        raise unavailable('%s failed (exit %s):\n%s' % (
            what or ' '.join(argv), result.returncode, tail(log, 40)))


class Process:
    """One service process; stdout, stderr and its log in one file."""

    def __init__(self, name, argv, log_path, cwd, env=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.cwd = cwd
        #: Set in the process's environment besides the tests' own.
        self.env = dict(env or {})
        self.popen = None
        self._output = None

    def start(self):
        self._output = open(self.log_path, 'ab')
        env = dict(os.environ, HOME=self.cwd, **self.env)
        self.popen = subprocess.Popen(
            self.argv + ['--log-file', self.log_path],
            stdin=subprocess.DEVNULL, stdout=self._output,
            stderr=subprocess.STDOUT, cwd=self.cwd, env=env,
            preexec_fn=_die_with_parent)

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        if self.running():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self._output is not None:
            self._output.close()
            self._output = None


class Deployment:
    """Where the tests send requests; what to show when one fails."""

    name = None
    #: Engine processes sharing one broker (0: unknown).
    engines = 0
    #: Whether the tests can read the database (db_url).
    db_url = None

    def __init__(self):
        self.endpoint = None
        self.processes = []

    def check_services(self):
        """:raises: ServiceUnavailable."""

    def start(self):
        pass

    def stop(self):
        pass

    def log_files(self):
        """{process name: path of its log}."""
        return {p.name: p.log_path for p in self.processes}

    def __str__(self):
        return '%s deployment at %s' % (self.name, self.endpoint)


class ExternalDeployment(Deployment):
    """HS_FUNCTIONAL_ENDPOINT: a service someone else runs."""

    name = config.EXTERNAL

    def __init__(self):
        super().__init__()
        self.endpoint = config.endpoint()


class _Started(Deployment):
    """Services this process starts in a temporary directory."""

    def __init__(self):
        super().__init__()
        self.id = uuid.uuid4().hex[:10]
        self.dir = None
        self.port = None

    def _write(self, name, sections):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            for section, options in sections.items():
                f.write('[%s]\n' % section)
                for key, value in options.items():
                    f.write('%s = %s\n' % (key, value))
                f.write('\n')
        return path

    def _conf(self):
        """The heat.conf sections every process of the deployment reads."""
        return {
            'DEFAULT': {'debug': 'false'},
            'heat_snapshots': {
                'state_path': self.dir,
                'max_snapshots_per_stack': config.DEPLOYMENT_MAX_SNAPSHOTS,
            },
            'heat_snapshots_api': {
                'auth_strategy': 'noauth',
                'bind_host': '127.0.0.1',
                'bind_port': self.port,
            },
        }

    def _process(self, name, argv, env=None):
        process = Process(name, argv, os.path.join(self.dir, name + '.log'),
                          self.dir, env=env)
        self.processes.append(process)
        process.start()
        return process

    def start(self):
        self.dir = tempfile.mkdtemp(prefix='hs-functional-%s-' % self.name,
                                    dir=TEMP_DIR)
        try:
            self._start()
        except Exception as error:
            logs = '\n'.join('--- %s (%s) ---\n%s' % (name, path, tail(path))
                             for name, path in self.log_files().items())
            self.stop(keep=True)
            raise StartFailed('%s deployment did not start: %s\n'
                              'Files kept in %s\n%s'
                              % (self.name, error, self.dir, logs))

    def _start(self):
        raise NotImplementedError()

    def stop(self, keep=False):
        for process in reversed(self.processes):
            process.stop()
        if self.dir and not (keep or config.keep()):
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.dir:
            print('heat-snapshots functional: %s kept in %s'
                  % (self.name, self.dir), file=sys.stderr)

    def _check_alive(self):
        for process in self.processes:
            if not process.running():
                raise StartFailed('%s exited with status %s'
                                  % (process.name, process.popen.returncode))

    def _wait(self, what, check, timeout=START_TIMEOUT):
        """Call check() until it is true, while every process lives."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            if check():
                return
            if time.monotonic() > deadline:
                raise StartFailed('%s: not ready after %s s'
                                  % (what, timeout))
            time.sleep(0.1)

    def _get(self, path, timeout=90, **kwargs):
        try:
            return requests.get(self.endpoint + path, timeout=timeout,
                                **kwargs)
        except requests.RequestException:
            return None

    def _wait_for_api(self):
        def serving():
            response = self._get('/healthcheck', timeout=5)
            return response is not None and response.status_code == 200
        self._wait('GET %s/healthcheck' % self.endpoint, serving)

    def wait_ready(self):
        """Wait until the API answers through an engine again."""
        self._wait_for_api()
        self._wait_for_engine()

    def _wait_for_engine(self):
        # 503 while no engine answers the RPC call yet.
        probe = 'hs-functional-probe'

        def answering():
            response = self._get('/v1/%s/stacks' % probe,
                                 headers={'X-Auth-Project': probe})
            return response is not None and response.status_code == 200
        self._wait('GET %s/v1/%s/stacks' % (self.endpoint, probe),
                   answering)


class EmbeddedDeployment(_Started):
    """heat-snapshots-all on SQLite and the in-process transport."""

    name = config.EMBEDDED
    engines = 1

    def _start(self):
        # A free port can be taken by someone else before the service binds
        # it; a few tries make that harmless.
        for attempt in range(3):
            self.port = free_port()
            self.endpoint = 'http://127.0.0.1:%d' % self.port
            conf = self._write('heat.conf', self._conf())
            process = self._process(
                'heat-snapshots-all-%d' % attempt,
                command('heat-snapshots-all', 'heat_snapshots.cmd.all') +
                ['--config-file', conf])
            try:
                self._wait_for_api()
            except StartFailed:
                if (process.running() or attempt == 2 or
                        'Address already in use' not in tail(
                            process.log_path)):
                    raise
                self.processes.remove(process)
                continue
            break
        self._wait_for_engine()
        self.db_url = 'sqlite:///' + os.path.join(
            self.dir, 'heat-snapshots.sqlite')


class _BrokerDeployment(_Started):
    """heat-snapshots-api and two engines on RabbitMQ and a server DB."""

    engines = 2
    #: What check_services names when the database is missing.
    database_service = None

    def __init__(self):
        super().__init__()
        self.server_url = sa.engine.make_url(self._server_url())
        self.database = 'hs_functional_%s' % self.id
        self.topic = 'hs-functional-%s' % self.id
        self.transport_url = config.transport_url()
        self._created = False

    def _server_url(self):
        raise NotImplementedError()

    def _admin_url(self):
        """A URL on the server to create and drop databases from."""
        raise NotImplementedError()

    def _create_sql(self):
        return 'CREATE DATABASE %s' % self.database

    def check_services(self):
        check_reachable(self.database_service, self.server_url.host,
                        self.server_url.port or self.default_port)
        transport = parse.urlparse(self.transport_url)
        check_reachable('RabbitMQ', transport.hostname,
                        transport.port or 5672)

    def _execute(self, statement):
        engine = sa.create_engine(self._admin_url(),
                                  isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(statement))
        finally:
            engine.dispose()

    def _conf(self):
        conf = super()._conf()
        conf['DEFAULT'].update({
            'transport_url': self.transport_url,
            # Concurrent runs on one broker must not see each other.
            'control_exchange': self.topic,
        })
        conf['heat_snapshots']['topic'] = self.topic
        # No queue or exchange left behind on the shared broker.
        conf['oslo_messaging_rabbit'] = {'amqp_auto_delete': 'true'}
        conf['database'] = {'connection': self.db_url}
        return conf

    def _start(self):
        self.port = free_port()
        self.endpoint = 'http://127.0.0.1:%d' % self.port
        self.db_url = self.server_url.set(
            database=self.database).render_as_string(hide_password=False)
        self._execute(self._create_sql())
        self._created = True
        conf = self._write('heat.conf', self._conf())
        manage = os.path.join(self.dir, 'heat-snapshots-manage.log')
        with open(manage, 'ab') as output:
            status = subprocess.call(
                command('heat-snapshots-manage', 'heat_snapshots.cmd.manage')
                + ['--config-file', conf, 'db', 'sync'],
                stdout=output, stderr=subprocess.STDOUT, cwd=self.dir,
                stdin=subprocess.DEVNULL, timeout=START_TIMEOUT)
        if status != 0:
            raise StartFailed('heat-snapshots-manage db sync exited with '
                              'status %s:\n%s' % (status, tail(manage)))
        engines = []
        for number in range(1, self.engines + 1):
            name = 'heat-snapshots-engine-%d' % number
            # Its own host name, so that logs tell the engines apart.
            host = self._write('%s.conf' % name, {
                'heat_snapshots': {'host': '%s-%s' % (self.name, name)}})
            argv, env = self.engine_command(name, [
                '--config-file', conf, '--config-file', host])
            engines.append(self._process(name, argv, env=env))
        self._process(
            'heat-snapshots-api',
            command('heat-snapshots-api', 'heat_snapshots.cmd.api')
            + ['--config-file', conf])
        # A call sent before an engine listens would be lost: wait for
        # every engine first, then for the API and an answer through it.
        for engine in engines:
            self._wait('%s listening' % engine.name,
                       lambda: self.engine_id(engine.name) is not None)
        self._wait_for_api()
        self._wait_for_engine()

    def engine_command(self, name, args):
        """(argv, extra environment) of engine process ``name``."""
        return (command('heat-snapshots-engine', 'heat_snapshots.cmd.engine')
                + args, None)

    def engine_id(self, process_name):
        """The engine id a started engine logged, or None."""
        for process in self.processes:
            if process.name != process_name:
                continue
            with open(process.log_path, errors='replace') as f:
                for match in ENGINE_LISTENING.finditer(f.read()):
                    if match.group('topic') == self.topic:
                        return match.group('engine_id')
        return None

    def engine_processes(self):
        return [p for p in self.processes if 'engine' in p.name]

    def stop(self, keep=False):
        super().stop(keep=keep)
        if self._created:
            try:
                self._execute('DROP DATABASE IF EXISTS %s' % self.database)
                self._created = False
            except Exception as error:
                print('heat-snapshots functional: could not drop database '
                      '%s: %s' % (self.database, error), file=sys.stderr)


class MySQLDeployment(_BrokerDeployment):

    name = config.MYSQL
    database_service = 'MariaDB'
    default_port = 3306

    def _server_url(self):
        return config.mysql_url()

    def _admin_url(self):
        return self.server_url.set(database=None)

    def _create_sql(self):
        return ('CREATE DATABASE %s CHARACTER SET utf8mb4'
                % self.database)


class PostgreSQLDeployment(_BrokerDeployment):

    name = config.POSTGRESQL
    database_service = 'PostgreSQL'
    default_port = 5432

    def _server_url(self):
        return config.postgresql_url()

    def _admin_url(self):
        return self.server_url.set(database='postgres')


CLASSES = {cls.name: cls for cls in (EmbeddedDeployment, MySQLDeployment,
                                     PostgreSQLDeployment,
                                     ExternalDeployment)}

_LOCK = threading.Lock()
# name -> the Deployment, or the (exception class, message) that stopped it.
_REGISTRY = {}
_STARTED = []


def get(name):
    """The deployment ``name`` of this process, started on first use.

    :raises: ServiceUnavailable or StartFailed, each time it is asked for
        when its first start failed.
    """
    with _LOCK:
        if name not in _REGISTRY:
            _REGISTRY[name] = _start(name)
        found = _REGISTRY[name]
    if isinstance(found, tuple):
        raise found[0](found[1])
    return found


def _start(name):
    deployment = CLASSES[name]()
    try:
        deployment.check_services()
    except ServiceUnavailable as error:
        return (ServiceUnavailable, str(error))
    if not _STARTED:
        atexit.register(stop_all)
    _STARTED.append(deployment)
    started = time.monotonic()
    try:
        deployment.start()
    except Exception as error:
        # start() has stopped what it started and kept its files to look at.
        _STARTED.remove(deployment)
        return (StartFailed, str(error))
    print('heat-snapshots functional: %s started in %.1f s'
          % (deployment, time.monotonic() - started), file=sys.stderr)
    return deployment


def stop_all():
    while _STARTED:
        _STARTED.pop().stop()
