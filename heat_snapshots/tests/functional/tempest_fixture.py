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

"""tempest, with the heat-snapshots plugin, against a real deployment.

tempest (``TEMPEST_VERSION`` from PyPI) is installed in a virtualenv of
its own under ``$HS_TEMPEST_DIR`` (default ``<tmp>/hs-tempest``), made
once and reused while it works; the plugin (``tempest_plugin/`` of this
repository, its own distribution) is installed into it anew for each run,
without the server's dependencies.

The cloud: a real Keystone (keystone_fixture.py) whose catalog names the
``stack-snapshots`` endpoint, and heat-snapshots-api with two engines on
MariaDB and RabbitMQ (deployment.py's ``mysql`` deployment) with
``auth_strategy = keystone``; Keystone keeps its data on that MariaDB
too. tempest uses dynamic credentials: Keystone's admin makes the
projects, members and readers of each test class.

Variables: ``HS_TEMPEST_DIR`` (the cache), ``HS_TEMPEST_PIP_ARGS`` (extra
``pip install`` arguments, e.g. ``tempest==46.3.0`` instead),
``HS_TEMPEST_CONCURRENCY`` (tempest run's workers, default 3) and those of
keystone_fixture.py and config.py (the MariaDB and RabbitMQ URLs).
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import deployment
from heat_snapshots.tests.functional import keystone_fixture
from heat_snapshots.tests.functional import venvs

TEMPEST_VERSION = '47.0.0'
PLUGIN_TIMEOUT = 300
RUN_TIMEOUT = 900
CATALOG_TYPE = 'stack-snapshots'
REGION = 'RegionOne'

#: The plugin's source: its own distribution beside the server's package.
PLUGIN_DIR = os.path.normpath(os.path.join(
    os.path.dirname(__file__), '..', '..', '..', 'tempest_plugin'))
PLUGIN_PACKAGE = 'heat_snapshots_tempest_plugin'

TOTALS = re.compile(r'^={3,}\nTotals\n={3,}\n(?P<block>(?:.*\n)*?)'
                    r'(?:Sum of execute time.*|={3,})', re.MULTILINE)
COUNT = re.compile(r'^ - (?P<name>[A-Za-z ]+): (?P<count>\d+)',
                   re.MULTILINE)
RAN = re.compile(r'^Ran: (?P<count>\d+) tests? in (?P<secs>[\d.]+) sec',
                 re.MULTILINE)


class TempestUnavailable(Exception):
    """tempest, or the cloud it tests, could not be set up."""


def cache_dir():
    return os.environ.get('HS_TEMPEST_DIR') or os.path.join(
        deployment.TEMP_DIR, 'hs-tempest')


def _run(argv, log, timeout, env=None, what=None):
    deployment.run_logged(argv, log, TempestUnavailable, timeout, env=env,
                          what=what)


class Virtualenv(venvs.CachedVirtualenv):
    """tempest (and stestr, which it brings) in ``<cache>/venv``."""

    what = 'tempest'
    packages = ('tempest==%s' % TEMPEST_VERSION,)
    commands = ('python', 'tempest', 'stestr')
    probe = 'import tempest.lib.common.rest_client, tempest.version'
    unavailable = TempestUnavailable
    pip_args_variable = 'HS_TEMPEST_PIP_ARGS'

    def __init__(self, directory=None):
        super().__init__(directory or cache_dir())

    def install_plugin(self, log):
        """The plugin from this tree, anew: what is tested is this code."""
        self.pip_install(['--force-reinstall', '--no-deps', PLUGIN_DIR], log,
                         timeout=PLUGIN_TIMEOUT,
                         what='pip install %s (the tempest plugin)'
                              % PLUGIN_DIR)


class KeystoneMySQLDeployment(keystone_fixture.KeystoneDeployment,
                              deployment.MySQLDeployment):
    """The mysql deployment (api and two engines on MariaDB and RabbitMQ)
    with KeystoneDeployment's ``auth_strategy = keystone`` configuration.

    KeystoneDeployment brings its ``_conf`` and ``_wait_for_engine``;
    what EmbeddedDeployment (its base) would start instead is overridden
    here with the broker deployment's.
    """

    name = 'keystone-mysql'
    engines = deployment.MySQLDeployment.engines
    _start = deployment.MySQLDeployment._start


def expected_tests():
    """How many tests the plugin's source holds (one idempotent id each)."""
    count = 0
    for top, _dirs, files in os.walk(os.path.join(PLUGIN_DIR,
                                                  PLUGIN_PACKAGE, 'tests')):
        for name in files:
            if name.startswith('test_') and name.endswith('.py'):
                with open(os.path.join(top, name)) as f:
                    count += f.read().count('@decorators.idempotent_id(')
    return count


def parse_totals(output):
    """(the Totals block as printed, {Ran, Passed, Failed, ...: int}).

    :raises: ValueError when the output has no Totals block.
    """
    found = TOTALS.search(output)
    if not found:
        raise ValueError('no Totals block in tempest run\'s output')
    block = found.group(0).strip()
    counts = {m.group('name').strip(): int(m.group('count'))
              for m in COUNT.finditer(block)}
    ran = RAN.search(block)
    counts['Ran'] = int(ran.group('count')) if ran else 0
    return block, counts


class Cloud:
    """Keystone, its catalog, and the deployment behind it."""

    def __init__(self):
        self.keystone = None
        self.service = None

    def start(self):
        """:raises: TempestUnavailable, deployment.ServiceUnavailable."""
        try:
            venv = keystone_fixture.Virtualenv().ensure()
            # Three tempest workers make and delete users and projects at
            # once through Keystone's two worker processes, which SQLite
            # serialises as one writer; a class's credential clean-up once
            # got gunicorn's bare HTML 500 from a Keystone on SQLite.
            self.keystone = keystone_fixture.Keystone(
                venv, db_url=config.mysql_url())
            self.keystone.start()
        except keystone_fixture.KeystoneUnavailable as error:
            raise TempestUnavailable('Keystone: %s' % error)
        self.service = KeystoneMySQLDeployment(self.keystone)
        self.service.check_services()
        try:
            self.service.start()
        except deployment.StartFailed as error:
            raise TempestUnavailable(str(error))
        self._register_endpoint()

    def _register_endpoint(self):
        """The catalog entry the plugin finds the API by, as devstack's."""
        admin = self.keystone.admin.session(self.keystone.url)

        def post(path, body):
            response = admin.post(self.keystone.url + path, json=body,
                                  raise_exc=False)
            if response.status_code != 201:
                raise TempestUnavailable('Keystone POST %s: %s %s' % (
                    path, response.status_code, response.text))
            return response.json()
        service = post('/services', {'service': {
            'type': CATALOG_TYPE, 'name': 'heat-snapshots',
            'description': 'Heat stack snapshots', 'enabled': True}})
        url = '%s/v1/$(project_id)s' % self.service.endpoint
        for interface in ('public', 'internal'):
            post('/endpoints', {'endpoint': {
                'service_id': service['service']['id'],
                'interface': interface, 'url': url, 'region_id': REGION}})

    def stop(self):
        if self.service is not None:
            self.service.stop()
        if self.keystone is not None:
            self.keystone.stop()

    def log_files(self):
        logs = dict(self.service.log_files()) if self.service else {}
        if self.keystone is not None and self.keystone.dir:
            logs['keystone'] = self.keystone.log_path
        return logs


def tempest_conf(cloud, workspace):
    keystone = cloud.keystone
    admin = keystone.admin
    sections = {
        'DEFAULT': {
            'log_dir': workspace,
            'log_file': 'tempest.log',
        },
        'oslo_concurrency': {'lock_path': os.path.join(workspace, 'locks')},
        'auth': {
            'use_dynamic_credentials': 'true',
            'create_isolated_networks': 'false',
            'admin_username': admin.name,
            'admin_password': admin.password,
            'admin_project_name': admin.project_name,
            'admin_domain_name': 'Default',
            'default_credentials_domain_name': 'Default',
        },
        'identity': {
            'auth_version': 'v3',
            'uri_v3': keystone.url,
            'region': REGION,
            'admin_role': keystone_fixture.ROLE_ADMIN,
        },
        'identity-feature-enabled': {'api_v2': 'false'},
        'service_available': {
            'heat_snapshots': 'true',
            'heat': 'false',
            'nova': 'false',
            'neutron': 'false',
            'cinder': 'false',
            'glance': 'false',
            'swift': 'false',
        },
        'validation': {'run_validation': 'false'},
        'heat_snapshots': {
            'catalog_type': CATALOG_TYPE,
            'endpoint_type': 'publicURL',
            'region': REGION,
            'build_timeout': int(config.timeout()),
            'build_interval': '0.5',
            'heat_endpoint': 'false',
            # The busy-stack tests' requests (each creating a Keystone
            # trust) must all land while the slow resource still waits:
            # 8 s was not always enough on a loaded 2-core machine.
            'snapshot_wait_secs': '30',
        },
    }
    path = os.path.join(workspace, 'etc', 'tempest.conf')
    with open(path, 'w') as f:
        for section, options in sections.items():
            f.write('[%s]\n' % section)
            for key, value in options.items():
                f.write('%s = %s\n' % (key, value))
            f.write('\n')
    return path


class Run:
    """One ``tempest run`` of the plugin's tests, and what it printed."""

    def __init__(self, venv, cloud):
        self.venv = venv
        self.cloud = cloud
        self.workspace = None
        self.output = ''
        self.returncode = None
        self.seconds = 0.0

    @property
    def output_path(self):
        return os.path.join(self.workspace, 'tempest-run.txt')

    def _env(self):
        # Nothing of the test process's OpenStack settings leaks in.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('OS_', 'HS_', 'PYTHON'))}
        env.update(HOME=self.workspace, LC_ALL='C.UTF-8',
                   PATH=self.venv.bin + os.pathsep + env.get('PATH', ''))
        return env

    def prepare(self):
        self.workspace = tempfile.mkdtemp(prefix='hs-tempest-run-',
                                          dir=deployment.TEMP_DIR)
        log = os.path.join(self.workspace, 'setup.log')
        self.venv.install_plugin(log)
        cloud = os.path.join(self.workspace, 'cloud')
        _run([self.venv.command('tempest'), 'init', cloud], log,
             timeout=120, env=self._env(), what='tempest init')
        self.workspace = cloud
        tempest_conf(self.cloud, self.workspace)
        return self

    def run(self):
        concurrency = os.environ.get('HS_TEMPEST_CONCURRENCY', '3')
        argv = [self.venv.command('tempest'), 'run',
                '--regex', r'^%s\.' % PLUGIN_PACKAGE,
                '--concurrency', concurrency]
        started = time.monotonic()
        with open(self.output_path, 'wb') as out:
            try:
                self.returncode = subprocess.run(
                    argv, cwd=self.workspace, env=self._env(),
                    stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=RUN_TIMEOUT).returncode
            except subprocess.TimeoutExpired:
                self.returncode = 'timeout after %s s' % RUN_TIMEOUT
        self.seconds = time.monotonic() - started
        with open(self.output_path, errors='replace') as f:
            self.output = f.read()
        return self

    def remove(self):
        if self.workspace and not config.keep():
            shutil.rmtree(os.path.dirname(self.workspace),
                          ignore_errors=True)
