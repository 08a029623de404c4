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

"""Start and stop the deployments the benchmarks measure.

The installed console scripts, each with a heat.conf of its own in a
temporary directory (removed on stop unless HS_BENCH_KEEP is set):

* ``Embedded``: heat-snapshots-all (SQLite, in-process transport);
* ``MySQL``: ``heat-snapshots-manage db sync`` on a fresh MariaDB
  database, then N heat-snapshots-engine processes and one
  heat-snapshots-api on RabbitMQ, with a topic and control exchange of
  their own; the database is dropped on stop.

Ready means: every engine logged that it listens, the API answers
/healthcheck, and a stack list is answered through an engine.

Servers: HS_BENCH_MYSQL_URL (default mysql+pymysql://root@127.0.0.1:3306)
and HS_BENCH_TRANSPORT_URL (default rabbit://guest:guest@127.0.0.1:5672/).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from urllib import error as urlerror
from urllib import parse
from urllib import request as urlrequest
import uuid

import sqlalchemy as sa

START_TIMEOUT = 120
STOP_TIMEOUT = 30


class StartFailed(Exception):
    """A deployment did not come up; the message has its logs' tails."""


def mysql_url():
    return os.environ.get('HS_BENCH_MYSQL_URL',
                          'mysql+pymysql://root@127.0.0.1:3306')


def transport_url():
    return os.environ.get('HS_BENCH_TRANSPORT_URL',
                          'rabbit://guest:guest@127.0.0.1:5672/')


def preload(source, prefix='hs-preload-'):
    """Have the processes started from now on (deployments included: they
    inherit this environment) run ``source`` as their sitecustomize
    module: a tool's tracer.

    :returns: the new directory holding it, for the tool's other files.
    """
    directory = tempfile.mkdtemp(prefix=prefix)
    with open(os.path.join(directory, 'sitecustomize.py'), 'w') as f:
        f.write(source)
    os.environ['PYTHONPATH'] = os.pathsep.join(
        [directory] + [p for p in [os.environ.get('PYTHONPATH')] if p])
    return directory


def script(name):
    """The console script ``name`` installed next to this Python."""
    path = os.path.join(os.path.dirname(sys.executable), name)
    if not os.access(path, os.X_OK):
        raise StartFailed('%s is not installed next to %s (pip install '
                          '-e .)' % (name, sys.executable))
    return path


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def reachable(host, port):
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def tail(path, lines=40):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError as error:
        return '(%s)' % error


def write_conf(path, sections):
    with open(path, 'w') as f:
        for section, options in sections.items():
            f.write('[%s]\n' % section)
            for key, value in options.items():
                f.write('%s = %s\n' % (key, value))
            f.write('\n')
    return path


class Service:
    """One process; its output and log in ``<dir>/<name>.log``."""

    def __init__(self, name, argv, directory):
        self.name = name
        self.log_path = os.path.join(directory, name + '.log')
        self._log = open(self.log_path, 'ab')
        self.popen = subprocess.Popen(
            argv + ['--log-file', self.log_path], cwd=directory,
            stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT)

    @property
    def pid(self):
        return self.popen.pid

    def running(self):
        return self.popen.poll() is None

    def stop(self):
        if self.running():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


class Deployment:
    """Services started from the console scripts in a temporary dir.

    :param overrides: {section: {option: value}} on top of heat.conf.
    """

    name = None

    def __init__(self, overrides=None, engines=1):
        self.overrides = overrides or {}
        self.engines = engines
        self.dir = None
        self.port = None
        self.endpoint = None
        self.db_url = None
        self.processes = []

    def check_services(self):
        """:raises: StartFailed when a server it needs is not reachable."""

    def conf(self):
        sections = {
            'DEFAULT': {'debug': 'false'},
            'heat_snapshots': {'state_path': self.dir,
                               # Benchmarks take many snapshots of a stack.
                               'max_snapshots_per_stack': -1},
            'heat_snapshots_api': {'auth_strategy': 'noauth',
                                   'bind_host': '127.0.0.1',
                                   'bind_port': self.port},
        }
        for section, options in self.overrides.items():
            sections.setdefault(section, {}).update(options)
        return sections

    def start(self):
        self.dir = tempfile.mkdtemp(prefix='hs-bench-%s-' % self.name)
        self.port = free_port()
        self.endpoint = 'http://127.0.0.1:%d' % self.port
        try:
            self._start()
            self._wait('GET /healthcheck',
                       lambda: self._get('/healthcheck', {}) == 200)
            probe = 'hs-bench-probe'
            self._wait('a stack list through an engine',
                       lambda: self._get('/v1/%s/stacks' % probe,
                                         {'X-Auth-Project': probe}) == 200)
        except Exception as error:
            logs = '\n'.join('--- %s ---\n%s' % (p.name, tail(p.log_path))
                             for p in self.processes)
            self.stop(keep=True)
            raise StartFailed('%s did not start: %s (files in %s)\n%s'
                              % (self.name, error, self.dir, logs))

    def _start(self):
        raise NotImplementedError()

    def _service(self, name, argv):
        service = Service(name, argv, self.dir)
        self.processes.append(service)
        return service

    def _get(self, path, headers):
        # The endpoint is the http:// URL of the service this launcher
        # started on loopback.
        try:
            with urlrequest.urlopen(urlrequest.Request(  # nosec B310
                    self.endpoint + path, headers=headers),
                    timeout=10) as response:
                return response.status
        except urlerror.HTTPError as error:
            return error.code
        except OSError:
            return None

    def _wait(self, what, check):
        deadline = time.monotonic() + START_TIMEOUT
        while not check():
            for service in self.processes:
                if not service.running():
                    raise StartFailed('%s exited with status %s'
                                      % (service.name,
                                         service.popen.returncode))
            if time.monotonic() > deadline:
                raise StartFailed('%s: not ready after %d s'
                                  % (what, START_TIMEOUT))
            time.sleep(0.1)

    def stop(self, keep=False):
        for service in reversed(self.processes):
            service.stop()
        self.processes = []
        if self.dir and not keep and not os.environ.get('HS_BENCH_KEEP'):
            shutil.rmtree(self.dir, ignore_errors=True)


class Embedded(Deployment):
    """heat-snapshots-all on SQLite and the in-process transport."""

    name = 'embedded'

    def _start(self):
        conf = write_conf(os.path.join(self.dir, 'heat.conf'), self.conf())
        self.db_url = 'sqlite:///' + os.path.join(self.dir,
                                                  'heat-snapshots.sqlite')
        self._service('heat-snapshots-all',
                      [script('heat-snapshots-all'), '--config-file', conf])


class MySQL(Deployment):
    """heat-snapshots-api and N engines on RabbitMQ and MariaDB."""

    name = 'mysql'

    def __init__(self, overrides=None, engines=1):
        super().__init__(overrides, engines)
        self.id = uuid.uuid4().hex[:10]
        self.database = 'hs_bench_%s' % self.id
        self.topic = 'hs-bench-%s' % self.id
        self.server = sa.engine.make_url(mysql_url())
        self._created = False

    def check_services(self):
        broker = parse.urlparse(transport_url())
        for what, host, port in (
                ('MariaDB', self.server.host, self.server.port or 3306),
                ('RabbitMQ', broker.hostname, broker.port or 5672)):
            if not reachable(host, port):
                raise StartFailed('%s not reachable at %s:%s'
                                  % (what, host, port))

    def conf(self):
        sections = super().conf()
        sections['DEFAULT'].update({'transport_url': transport_url(),
                                    'control_exchange': self.topic})
        sections['heat_snapshots']['topic'] = self.topic
        sections['oslo_messaging_rabbit'] = {'amqp_auto_delete': 'true'}
        sections['database'] = {'connection': self.db_url}
        for section, options in self.overrides.items():
            sections.setdefault(section, {}).update(options)
        return sections

    def _admin(self, statement):
        engine = sa.create_engine(self.server.set(database=None),
                                  isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(statement))
        finally:
            engine.dispose()

    def _start(self):
        self.db_url = self.server.set(database=self.database) \
            .render_as_string(hide_password=False)
        self._admin('CREATE DATABASE %s CHARACTER SET utf8mb4'
                    % self.database)
        self._created = True
        conf = write_conf(os.path.join(self.dir, 'heat.conf'), self.conf())
        log = os.path.join(self.dir, 'heat-snapshots-manage.log')
        with open(log, 'ab') as out:
            status = subprocess.call(
                [script('heat-snapshots-manage'), '--config-file', conf,
                 'db', 'sync'], stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, timeout=START_TIMEOUT)
        if status:
            raise StartFailed('db sync exited with %s:\n%s'
                              % (status, tail(log)))
        engines = []
        for number in range(1, self.engines + 1):
            name = 'heat-snapshots-engine-%d' % number
            host = write_conf(os.path.join(self.dir, name + '.conf'), {
                'heat_snapshots': {'host': 'bench-%s' % name}})
            engines.append(self._service(name, [
                script('heat-snapshots-engine'), '--config-file', conf,
                '--config-file', host]))
        # A call sent before an engine listens would wait for it: every
        # engine first, then the API.
        for engine in engines:
            self._wait('%s listening' % engine.name,
                       lambda: 'listening on topic %s' % self.topic in
                       tail(engine.log_path, 10000))
        self._service('heat-snapshots-api',
                      [script('heat-snapshots-api'), '--config-file', conf])

    def stop(self, keep=False):
        super().stop(keep)
        if self._created:
            try:
                self._admin('DROP DATABASE IF EXISTS %s' % self.database)
                self._created = False
            except sa.exc.SQLAlchemyError as error:
                print('could not drop database %s: %s'
                      % (self.database, error), file=sys.stderr)


KINDS = {cls.name: cls for cls in (Embedded, MySQL)}
