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

"""A real Heat (noauth), and heat-snapshots following its stacks.

Heat (the ``openstack-heat`` package from PyPI) is installed with PyMySQL,
python-openstackclient and python-heatclient in a virtualenv of its own,
under ``$HS_HEAT_DIR`` (default ``<tmp>/hs-heat``), made once and reused
while it works (file-locked: stestr's test processes may all ask at once).
Each test process then runs its own Heat in a temporary directory:

* a fresh MariaDB database ``heat_it_<random>`` (``heat-manage db_sync``);
* ``[paste_deploy] flavor = noauth``: identities come from ``X-Auth-User``
  and ``X-Auth-Project``; a policy file with ``context_is_admin: "!"`` and
  ``[oslo_policy] enforce_new_defaults = false`` make callers ordinary
  project members; ``deferred_auth_method = password`` keeps stack create
  away from Keystone;
* a resource plugin in Heat's ``plugin_dirs``: ``OS::Heat::TestResource``
  whose ``action_wait_secs`` also takes the ``snapshot``, ``restore`` and
  ``delete_snapshot`` waits of heat-snapshots' TestResource plugin
  (``TEST_RESOURCE_PLUGIN``), so that a snapshot can be slow beside Heat;
* RabbitMQ with a control exchange, host and notification topic of its own
  (``hs-heat-<id>``), so that concurrent runs on one broker do not meet;
  notifications on (``messagingv2``);
* ``heat-engine`` (ready once it has a row in Heat's ``service`` table)
  and Heat's two endpoints, as doc/source/install/heat-driver.rst sets
  them up: the *internal* endpoint, a ``heat-wsgi-api`` with Heat's plain
  noauth pipeline (``url``), which the heat driver of our engine calls,
  and the *public* endpoint, a ``heat-wsgi-api`` with heat-snapshots'
  paste filter in its pipeline (flavor ``hsnoauth``, our source directory
  on ``PYTHONPATH``; ``filter_url``), which clients call. The engine never
  calls the public one: Heat 27's ``heat-wsgi-api`` answers one request
  at a time, and a snapshot call it is serving waits for our engine. The
  internal endpoint is also "Heat alone" for the tests that compare.

``RealHeatDeployment`` is heat-snapshots (heat-snapshots-api and one
heat-snapshots-engine on the same broker and exchange, a database of its
own, a topic of its own) with ``stack_driver = heat`` on Heat's internal
endpoint, a short ``stack_check_interval`` and the notification listener
on Heat's notification topic. The filter reads heat-snapshots' database
(``[database]`` in the filter's own configuration file).

``get()`` starts all that once per process (stopped at exit). Without
CI=true a Heat that cannot be installed or started raises
``HeatUnavailable`` naming what failed, which the tests turn into a skip.

Variables: ``HS_HEAT_DIR`` (the cache), ``HS_HEAT_PYTHON`` (the virtualenv's
interpreter, Python 3.10 or newer), ``HS_HEAT_PIP_ARGS`` (extra ``pip
install`` arguments, e.g. ``openstack-heat==27.0.1``),
``HS_FUNCTIONAL_MYSQL_URL`` and ``HS_FUNCTIONAL_TRANSPORT_URL`` (the
servers, as for the mysql deployment).
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from urllib import parse
import uuid

import kombu
import requests
import sqlalchemy as sa

import heat_snapshots
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import deployment
from heat_snapshots.tests.functional import venvs

MIN_PYTHON = (3, 10)
COMMAND_TIMEOUT = 300
START_TIMEOUT = 180

PACKAGES = ['openstack-heat', 'PyMySQL', 'python-openstackclient',
            'python-heatclient',
            # What heat-snapshots' API needs beyond Heat's own
            # requirements, for the paste filter inside heat-api.
            'cheroot', 'jsonschema', 'pecan']

# The modules a working virtualenv imports.
PROBE = ('import heat.api.openstack.wsgi, heat.engine.service, pymysql, '
         'openstackclient.shell, heatclient.client, cheroot, jsonschema, '
         'pecan')

#: heat-snapshots' paste filter in heat-api's noauth pipeline.
FILTER_FLAVOR = 'hsnoauth'
FILTER_SECTION = '''
[filter:heatsnapshots]
paste.filter_factory = heat_snapshots.api.paste:filter_factory
'''
NOAUTH_PIPELINE = ('cors request_id faultwrap noauth context '
                   'http_proxy_to_wsgi versionnegotiation apiv1app')
FILTER_PIPELINE = ('cors request_id faultwrap noauth context '
                   'http_proxy_to_wsgi heatsnapshots versionnegotiation '
                   'apiv1app')

POLICY = '"context_is_admin": "!"\n'

# RabbitMQ names a topic's queue after the topic alone, whatever the
# exchange: every Heat on one broker would share the queues of Heat's fixed
# topics ('engine', and 'engine_worker' for convergence's check_resource)
# and take each other's messages. Each Heat started here gets topics of its
# own, set before Heat's script runs.
LAUNCHER = '''\
import runpy
import sys

from heat.rpc import api
from heat.rpc import worker_api

api.ENGINE_TOPIC = %(topic)r
worker_api.TOPIC = %(topic)r + '-worker'
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name='__main__')
'''
ISOLATION = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'

# A Heat resource plugin (in Heat's plugin_dirs) that gives Heat's
# OS::Heat::TestResource the waits heat-snapshots' TestResource plugin
# reads from ``action_wait_secs`` beside Heat's own create, update and
# delete: ``snapshot``, ``restore`` and ``delete_snapshot``. Heat 27's
# schema refuses any other key ("Unknown Property snapshot"), and with the
# heat stack driver it is our engine, not Heat, that snapshots a resource:
# Heat only keeps the numbers, so that a test can make a snapshot slow
# beside a real Heat (and cancel it). Heat's own behaviour is unchanged.
TEST_RESOURCE_PLUGIN = '''\
from heat.engine import properties
from heat.engine.resources.openstack.heat import test_resource

_BASE = test_resource.TestResource
_WAITS = _BASE.properties_schema[_BASE.ACTION_WAIT_SECS]
OURS = ('snapshot', 'restore', 'delete_snapshot')


class TestResource(_BASE):
    properties_schema = dict(_BASE.properties_schema)
    properties_schema[_BASE.ACTION_WAIT_SECS] = properties.Schema(
        properties.Schema.MAP, _WAITS.description, update_allowed=True,
        schema=dict(_WAITS.schema, **{
            key: properties.Schema(
                properties.Schema.NUMBER,
                'Seconds heat-snapshots waits after a %s.' % key,
                update_allowed=True)
            for key in OURS}))


def resource_mapping():
    return {'OS::Heat::TestResource': TestResource}
'''

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(
    heat_snapshots.__file__)))


class HeatUnavailable(Exception):
    """Heat could not be installed or started; the message says why."""


def cache_dir():
    return os.environ.get('HS_HEAT_DIR') or os.path.join(
        deployment.TEMP_DIR, 'hs-heat')


def _run(argv, log, timeout=COMMAND_TIMEOUT, env=None, what=None):
    """:raises: HeatUnavailable with the output's tail when ``argv`` fails."""
    deployment.run_logged(argv, log, HeatUnavailable, timeout, env=env,
                          what=what)


class Virtualenv(venvs.CachedVirtualenv):
    """Heat and its clients in ``<cache>/venv``, made once and reused."""

    what = 'Heat'
    packages = PACKAGES
    commands = ('python', 'heat-manage', 'heat-engine', 'heat-wsgi-api',
                'openstack')
    probe = PROBE
    unavailable = HeatUnavailable
    pip_args_variable = 'HS_HEAT_PIP_ARGS'

    def __init__(self, directory=None):
        super().__init__(directory or cache_dir())

    def python(self):
        return venvs.find_python(MIN_PYTHON, 'HS_HEAT_PYTHON',
                                 HeatUnavailable, 'Heat')

    def etc(self, *parts):
        """A file Heat's wheel installs under <venv>/etc/heat."""
        return os.path.join(self.path, 'etc', 'heat', *parts)


def _server_engine(url):
    return sa.create_engine(url, isolation_level='AUTOCOMMIT')


class Heat:
    """heat-engine and heat-api (noauth) in a temporary directory.

    :param defaults: more ``[DEFAULT]`` options of its heat.conf
        ({name: value}), such as ``convergence_engine``.
    """

    def __init__(self, venv, defaults=None):
        self.venv = venv
        self.defaults = dict(defaults or {})
        self.id = uuid.uuid4().hex[:10]
        self.dir = None
        self.port = None
        self.filter_port = None
        self.processes = []
        self.server_url = sa.engine.make_url(config.mysql_url())
        self.database = 'heat_it_%s' % self.id
        self.db_url = None
        self._created = False
        #: Heat's control exchange, host and notification topic.
        self.exchange = 'hs-heat-%s' % self.id
        self.host = 'hs-heat-%s' % self.id
        self.notification_topic = 'hs-heat-notifications-%s' % self.id
        self.engine_topic = 'hs-heat-engine-%s' % self.id
        self.transport_url = config.transport_url()

    @property
    def url(self):
        """The internal endpoint, Heat's own pipeline,
        ``http://127.0.0.1:<port>/v1``.
        """
        return 'http://127.0.0.1:%d/v1' % self.port

    @property
    def filter_url(self):
        """The public endpoint: heat-api with heat-snapshots' filter."""
        return 'http://127.0.0.1:%d/v1' % self.filter_port

    @property
    def endpoint(self):
        return 'http://127.0.0.1:%d' % self.port

    @property
    def filter_endpoint(self):
        return 'http://127.0.0.1:%d' % self.filter_port

    def conf_files(self):
        return [os.path.join(self.dir, 'heat.conf')]

    def _write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def _create_database(self):
        deployment.check_reachable('MariaDB', self.server_url.host,
                                   self.server_url.port or 3306)
        engine = _server_engine(self.server_url.set(database=None))
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(
                    'CREATE DATABASE %s CHARACTER SET utf8mb4'
                    % self.database))
        except sa.exc.SQLAlchemyError as error:
            raise HeatUnavailable('creating database %s on %s: %s' % (
                self.database, self.server_url, error))
        finally:
            engine.dispose()
        self._created = True
        self.db_url = self.server_url.set(database=self.database)

    def _drop_database(self):
        if not self._created:
            return
        engine = _server_engine(self.server_url.set(database=None))
        try:
            with engine.connect() as connection:
                connection.execute(sa.text('DROP DATABASE IF EXISTS %s'
                                           % self.database))
            self._created = False
        except sa.exc.SQLAlchemyError as error:
            print('heat-snapshots functional: could not drop database '
                  '%s: %s' % (self.database, error), file=sys.stderr)
        finally:
            engine.dispose()

    def query(self, statement):
        """Rows of ``statement`` on Heat's database."""
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(sa.text(statement)))
        finally:
            engine.dispose()

    def _write_files(self):
        with open(self.venv.etc('api-paste.ini')) as f:
            paste = f.read()
        marker = 'noauth = %s' % NOAUTH_PIPELINE
        if marker not in paste:
            raise HeatUnavailable('Heat\'s api-paste.ini has no noauth '
                                  'pipeline %r' % NOAUTH_PIPELINE)
        paste = paste.replace(marker, '%s\n%s = %s' % (
            marker, FILTER_FLAVOR, FILTER_PIPELINE), 1)
        paste_path = self._write('api-paste.ini', paste + FILTER_SECTION)
        policy = self._write('policy.yaml', POLICY)
        # READ COMMITTED: with MariaDB's REPEATABLE READ, Heat 27's engine
        # threads were seen reading rows older than the ones just written
        # (a stack missing right after its create, "raw template not
        # found" for a nested stack).
        db_url = self.db_url.update_query_dict({
            'init_command': ISOLATION}).render_as_string(hide_password=False)
        self._write('hs_heat_launcher.py', LAUNCHER % {
            'topic': self.engine_topic})
        defaults = ['%s = %s' % (name, value)
                    for name, value in sorted(self.defaults.items())]
        self._write('heat.conf', '\n'.join([
            '[DEFAULT]',
            'host = %s' % self.host,
            'transport_url = %s' % self.transport_url,
            'control_exchange = %s' % self.exchange,
            'auth_encryption_key = %s' % uuid.uuid4().hex,
            'deferred_auth_method = password',
            'num_engine_workers = 1',
            'environment_dir = %s' % self.venv.etc('environment.d'),
            'template_dir = %s' % self.venv.etc('templates'),
            'plugin_dirs = %s' % os.path.join(self.dir, 'plugins'),
            'debug = false',
        ] + defaults + [
            '',
            '[database]',
            'connection = %s' % db_url,
            '',
            '[paste_deploy]',
            'flavor = noauth',
            'api_paste_config = %s' % paste_path,
            '',
            '[oslo_policy]',
            'enforce_new_defaults = false',
            'enforce_scope = false',
            'policy_file = %s' % policy,
            '',
            '[oslo_messaging_notifications]',
            'driver = messagingv2',
            'topics = %s' % self.notification_topic,
            '',
            '[oslo_messaging_rabbit]',
            'amqp_auto_delete = true',
            '',
        ]))
        # heat-snapshots' options for the paste filter's API (same file in
        # a real deployment; a second file here, read by that heat-api).
        self._write('filter.conf', '\n'.join([
            '[paste_deploy]',
            'flavor = %s' % FILTER_FLAVOR,
            '',
        ]))

    def add_snapshots_options(self, sections):
        """Append heat-snapshots' options to filter.conf."""
        path = os.path.join(self.dir, 'filter.conf')
        with open(path, 'a') as f:
            for section, options in sections.items():
                f.write('[%s]\n' % section)
                for key, value in options.items():
                    f.write('%s = %s\n' % (key, value))
                f.write('\n')

    def _heat(self, script):
        """argv running Heat's ``script`` with our engine topic."""
        return [self.venv.command('python'),
                os.path.join(self.dir, 'hs_heat_launcher.py'),
                self.venv.command(script)]

    def _process(self, name, argv, env=None):
        process = deployment.Process(
            name, argv, os.path.join(self.dir, name + '.log'), self.dir)
        if env:
            process.env = env
        self.processes.append(process)
        _start_process(process, env)
        return process

    def start(self):
        self.dir = tempfile.mkdtemp(prefix='hs-heat-run-',
                                    dir=deployment.TEMP_DIR)
        os.makedirs(os.path.join(self.dir, 'plugins'))
        self._write(os.path.join('plugins', 'hs_test_resource.py'),
                    TEST_RESOURCE_PLUGIN)
        transport = parse.urlparse(self.transport_url)
        deployment.check_reachable('RabbitMQ', transport.hostname,
                                   transport.port or 5672)
        self._create_database()
        self._write_files()
        conf = os.path.join(self.dir, 'heat.conf')
        _run([self.venv.command('heat-manage'), '--config-file', conf,
              'db_sync'], os.path.join(self.dir, 'heat-manage.log'),
             what='heat-manage db_sync')
        self.port = deployment.free_port()
        self._process('heat-engine', self._heat('heat-engine') +
                      ['--config-file', conf])
        self._process('heat-api', self._heat('heat-wsgi-api') + [
            '--host', '127.0.0.1',
            '--port', str(self.port), '--', '--config-file', conf])
        self._wait('heat-engine registered in Heat\'s service table',
                   self._engine_registered)
        self._wait('GET %s/<project>/stacks' % self.url,
                   lambda: self._answering(self.url))

    def start_filter_api(self):
        """heat-api with heat-snapshots' filter (after add_options)."""
        self.filter_port = deployment.free_port()
        conf = os.path.join(self.dir, 'heat.conf')
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            [SOURCE_DIR] + [p for p in env.get('PYTHONPATH', '').split(
                os.pathsep) if p])
        self._process('heat-api-filter', self._heat('heat-wsgi-api') + [
            '--host', '127.0.0.1',
            '--port', str(self.filter_port), '--', '--config-file', conf,
            '--config-file', os.path.join(self.dir, 'filter.conf')],
            env=env)
        self._wait('GET %s/<project>/stacks' % self.filter_url,
                   lambda: self._answering(self.filter_url))

    def wait_ready(self):
        """Wait until Heat's API answers through its engine again."""
        urls = [self.url] + ([self.filter_url] if self.filter_port else [])
        for url in urls:
            self._wait('GET %s/<project>/stacks' % url,
                       lambda: self._answering(url))

    def _engine_registered(self):
        try:
            return bool(self.query('SELECT id FROM service'))
        except sa.exc.SQLAlchemyError:
            return False

    def _answering(self, url):
        try:
            response = requests.get(
                url + '/hs-probe/stacks', timeout=10,
                headers={'X-Auth-User': 'probe',
                         'X-Auth-Project': 'hs-probe'})
        except requests.RequestException:
            return False
        return response.status_code == 200

    def _wait(self, what, check, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            for process in self.processes:
                if not process.running():
                    raise HeatUnavailable('%s exited (status %s) before %s:'
                                          '\n%s' % (
                                              process.name,
                                              process.popen.returncode,
                                              what, deployment.tail(
                                                  process.log_path, 40)))
            if check():
                return
            if time.monotonic() > deadline:
                raise HeatUnavailable('%s: not ready after %s s:\n%s' % (
                    what, timeout, '\n'.join(
                        deployment.tail(p.log_path, 30)
                        for p in self.processes)))
            time.sleep(0.5)

    def log_files(self):
        return {p.name: p.log_path for p in self.processes}

    def stop(self):
        for process in reversed(self.processes):
            process.stop()
        self._drop_database()
        self._delete_notification_queues()
        if self.dir and not config.keep():
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.dir:
            print('heat-snapshots functional: Heat kept in %s' % self.dir,
                  file=sys.stderr)

    #: The priorities Heat's notifier may send at: each makes a queue
    #: ``<topic>.<priority>`` that nothing consumes (our listener reads
    #: through a pool queue of its own), left behind by Heat.
    NOTIFICATION_PRIORITIES = ('audit', 'critical', 'debug', 'error',
                               'info', 'sample', 'warn')

    def _delete_notification_queues(self):
        url = parse.urlparse(self.transport_url)
        try:
            with kombu.Connection(url._replace(scheme='amqp').geturl(),
                                  connect_timeout=5) as connection:
                channel = connection.channel()
                for priority in self.NOTIFICATION_PRIORITIES:
                    # RabbitMQ answers the delete of a missing queue with
                    # 0 messages, not an error.
                    channel.queue_delete('%s.%s' % (self.notification_topic,
                                                    priority))
        except Exception as error:
            print('heat-snapshots functional: Heat\'s notification queues '
                  'of %s were not deleted: %s'
                  % (self.notification_topic, error), file=sys.stderr)


def _start_process(process, env=None):
    """deployment.Process.start with another environment."""
    if env is None:
        process.start()
        return
    process._output = open(process.log_path, 'ab')
    env = dict(env, HOME=process.cwd)
    process.popen = subprocess.Popen(
        process.argv + ['--log-file', process.log_path],
        stdin=subprocess.DEVNULL, stdout=process._output,
        stderr=subprocess.STDOUT, cwd=process.cwd, env=env,
        preexec_fn=deployment._die_with_parent)


class RealHeatDeployment(deployment.MySQLDeployment):
    """heat-snapshots with ``stack_driver = heat`` on ``heat``."""

    name = 'real-heat'
    engines = 1
    #: Seconds between two checks that stacks still exist in Heat.
    stack_check_interval = 5

    def __init__(self, heat):
        super().__init__()
        self.heat = heat
        self.host = 'hs-real-heat-%s' % self.id

    def _conf(self):
        conf = super()._conf()
        # The exchange Heat and the paste filter inside heat-api use; our
        # own topic keeps us apart from everyone else on it.
        conf['DEFAULT']['control_exchange'] = self.heat.exchange
        conf['heat_snapshots']['stack_driver'] = 'heat'
        conf['heat_snapshots']['action_timeout'] = 300
        conf['heat_snapshots_heat'] = self.heat_options()
        return conf

    def heat_options(self):
        return {
            'auth_type': 'none',
            'endpoint_override': self.heat.url,
            'stack_check_interval': self.stack_check_interval,
            'listen_notifications': 'true',
            'notification_exchange': self.heat.exchange,
            'notification_topics': self.heat.notification_topic,
            'notification_pool': 'hs-real-heat-%s' % self.id,
        }

    def _write(self, name, sections):
        if name.startswith('heat-snapshots-engine'):
            sections = {'heat_snapshots': {'host': self.host}}
        return super()._write(name, sections)

    def _wait_for_engine(self):
        # The heat driver lists no stacks: a snapshot list of a stack Heat
        # does not have answers 404 once an engine asked Heat (503 while no
        # engine answers).
        probe = 'hs-functional-probe'
        path = '/v1/%s/stacks/missing/missing/snapshots' % probe

        def answering():
            response = self._get(path, headers={'X-Auth-Project': probe})
            return response is not None and response.status_code == 404
        self._wait('GET %s%s' % (self.endpoint, path), answering)

    def filter_options(self):
        """heat-snapshots' options for the paste filter in heat-api."""
        return {
            'heat_snapshots': {'topic': self.topic},
            # Inside heat-api: the caller heat-api's noauth pipeline made.
            'heat_snapshots_api': {'auth_strategy': 'heat_api'},
            # Our records of the stacks' snapshots and restores.
            'database': {'connection': self.db_url},
        }

    def engine_log(self):
        with open(self.engine_processes()[0].log_path,
                  errors='replace') as f:
            return f.read()


class Environment:
    """Heat and heat-snapshots beside it: what the tests use."""

    def __init__(self, venv, heat, service):
        self.venv = venv
        self.heat = heat
        self.service = service
        self.setup_seconds = 0.0

    def stop(self):
        if self.service is not None:
            self.service.stop()
        if self.heat is not None:
            self.heat.stop()


_LOCK = threading.Lock()
_STATE = {}


def _start():
    started = time.monotonic()
    venv = Virtualenv().ensure()
    heat = Heat(venv)
    atexit.register(heat.stop)
    try:
        heat.start()
    except HeatUnavailable:
        heat.stop()
        raise
    except Exception as error:
        heat.stop()
        raise HeatUnavailable('Heat did not start: %s: %s'
                              % (type(error).__name__, error))
    service = RealHeatDeployment(heat)
    atexit.register(service.stop)
    try:
        service.check_services()
        service.start()
    except (deployment.ServiceUnavailable, deployment.StartFailed) as error:
        raise HeatUnavailable(str(error))
    heat.add_snapshots_options(service.filter_options())
    try:
        heat.start_filter_api()
    except HeatUnavailable as error:
        # The filter's own test says so; the rest runs on without it.
        heat.filter_error = str(error)
        for process in [p for p in heat.processes
                        if p.name == 'heat-api-filter']:
            process.stop()
            heat.processes.remove(process)
        heat.filter_port = None
    else:
        heat.filter_error = None
    environment = Environment(venv, heat, service)
    environment.setup_seconds = time.monotonic() - started
    print('heat-snapshots functional: Heat %s and %s ready in %.1f s '
          '(virtualenv install %.1f s)' % (
              heat.url, service, environment.setup_seconds,
              venv.install_seconds), file=sys.stderr)
    return environment


def get():
    """The Environment of this process, started on first use.

    :raises: HeatUnavailable, each time, when the first start failed.
    """
    with _LOCK:
        if 'environment' not in _STATE:
            try:
                _STATE['environment'] = _start()
            except HeatUnavailable as error:
                _STATE['environment'] = error
        found = _STATE['environment']
    if isinstance(found, Exception):
        raise HeatUnavailable(str(found))
    return found
