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

"""A real Keystone, and heat-snapshots-all validating its tokens.

Keystone (the ``keystone`` package from PyPI) is installed with gunicorn in
a virtualenv of its own, under ``$HS_KEYSTONE_DIR`` (default
``<tmp>/hs-keystone``), made once and reused while it works. Each test
process then runs its own Keystone in a temporary directory: SQLite
(``HS_KEYSTONE_DB_URL`` names a server database instead, e.g.
``mysql+pymysql://root@127.0.0.1:3306``), fernet tokens,
``keystone-manage bootstrap``, served on a free loopback port by gunicorn
(one worker on SQLite, two on a server database).
On it: projects A and B, a member and a reader of A, a member of B, and a
service user that keystonemiddleware uses to validate tokens.

heat-snapshots works on Keystone trusts (``deferred_auth_method =
trusts``) with that service user as the ``[trustee]``.

``get()`` starts all that once per process (stopped at exit) and returns
the ``Environment``; ``get(token_expiration=20)`` another one, whose
Keystone issues tokens that live 20 seconds. Without CI=true, a Keystone
that cannot be installed or started raises ``KeystoneUnavailable``,
naming what is missing, which the tests turn into a skip.

Variables: ``HS_KEYSTONE_DIR`` (the cache), ``HS_KEYSTONE_PYTHON`` (the
interpreter of the virtualenv, Python 3.11 or newer),
``HS_KEYSTONE_PIP_ARGS`` (extra ``pip install`` arguments, e.g. a version
pin ``keystone==30.0.0``), ``HS_KEYSTONE_DB_URL``.
"""

import atexit
import grp
import os
import pwd
import shutil
import sys
import tempfile
import threading
import time
import uuid

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import requests
import sqlalchemy as sa

from heat_snapshots.tests.functional import clients
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import deployment
from heat_snapshots.tests.functional import venvs

MIN_PYTHON = (3, 11)
COMMAND_TIMEOUT = 300
START_TIMEOUT = 120

PACKAGES = ['keystone', 'gunicorn', 'PyMySQL']

# gunicorn parses its own command line; keystone's oslo.config would parse
# it again and fail on gunicorn's options. The entry module empties argv
# and names keystone.conf before keystone is imported.
WSGI_ENTRY = '''\
import os
import sys

sys.argv = sys.argv[:1]
os.environ['OS_KEYSTONE_CONFIG_FILES'] = %(conf)r

from keystone.wsgi import api  # noqa: E402

application = api.application
'''

ROLE_MEMBER = 'member'
ROLE_READER = 'reader'
ROLE_ADMIN = 'admin'
ROLE_SERVICE = 'service'


class KeystoneUnavailable(Exception):
    """Keystone could not be installed or started; the message says why."""


def cache_dir():
    # deployment.TEMP_DIR: read at import, not the per-test temporary
    # directory oslotest sets, which goes with the test.
    return os.environ.get('HS_KEYSTONE_DIR') or os.path.join(
        deployment.TEMP_DIR, 'hs-keystone')


def _run(argv, log, timeout=COMMAND_TIMEOUT, env=None, what=None):
    """:raises: KeystoneUnavailable with the output's tail on failure."""
    deployment.run_logged(argv, log, KeystoneUnavailable, timeout, env=env,
                          what=what)


class Virtualenv(venvs.CachedVirtualenv):
    """Keystone and gunicorn in ``<cache>/venv``, made once and reused."""

    what = 'Keystone'
    packages = PACKAGES
    commands = ('python', 'keystone-manage', 'gunicorn')
    probe = 'import gunicorn, keystone.server.wsgi'
    unavailable = KeystoneUnavailable
    pip_args_variable = 'HS_KEYSTONE_PIP_ARGS'

    def __init__(self, directory=None):
        super().__init__(directory or cache_dir())

    def python(self):
        return venvs.find_python(MIN_PYTHON, 'HS_KEYSTONE_PYTHON',
                                 KeystoneUnavailable, 'Keystone')


class User:
    """A Keystone user with a password, a project and its roles there."""

    def __init__(self, name, password, project_name, project_id, roles):
        self.name = name
        self.password = password
        self.project_name = project_name
        self.project_id = project_id
        self.roles = roles
        self.id = None

    def auth(self, auth_url):
        return v3.Password(auth_url=auth_url, username=self.name,
                           password=self.password,
                           user_domain_name='Default',
                           project_name=self.project_name,
                           project_domain_name='Default')

    def session(self, auth_url):
        return ks_session.Session(auth=self.auth(auth_url))


class Keystone:
    """keystone-manage set-up and gunicorn, in a temporary directory.

    :param token_expiration: seconds a token lives ([token] expiration);
        Keystone's default (an hour) when None.
    :param db_url: a database server (no database name) on which Keystone
        gets a database of its own; ``HS_KEYSTONE_DB_URL`` when None, and
        SQLite in the temporary directory when neither is set.
    """

    def __init__(self, venv, token_expiration=None, db_url=None):
        self.venv = venv
        self.token_expiration = token_expiration
        self.db_url = db_url or os.environ.get('HS_KEYSTONE_DB_URL')
        self.dir = None
        self.port = None
        self.process = None
        self.admin = None
        self.users = {}
        self.projects = {}
        self._db = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d/v3' % self.port

    @property
    def log_path(self):
        return os.path.join(self.dir, 'keystone.log')

    def _database(self):
        if not self.db_url:
            return 'sqlite:///' + os.path.join(self.dir, 'keystone.sqlite')
        url = sa.engine.make_url(self.db_url)
        name = 'hs_keystone_%s' % uuid.uuid4().hex[:10]
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text('CREATE DATABASE %s' % name))
        except sa.exc.SQLAlchemyError as error:
            raise KeystoneUnavailable('Keystone\'s database server %s: %s'
                                      % (url, error))
        finally:
            engine.dispose()
        self._db = (url, name)
        return url.set(database=name).render_as_string(hide_password=False)

    def _drop_database(self):
        if self._db:
            url, name = self._db
            engine = sa.create_engine(url)
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text('DROP DATABASE %s' % name))
            except sa.exc.SQLAlchemyError:
                pass
            finally:
                engine.dispose()
            self._db = None

    def _write_conf(self):
        keys = os.path.join(self.dir, 'fernet-keys')
        credential_keys = os.path.join(self.dir, 'credential-keys')
        path = os.path.join(self.dir, 'keystone.conf')
        with open(path, 'w') as f:
            f.write('[DEFAULT]\nlog_file = %s\n\n'
                    '[database]\nconnection = %s\n\n'
                    '[token]\nprovider = fernet\n%s\n'
                    '[fernet_tokens]\nkey_repository = %s\n\n'
                    '[fernet_receipts]\nkey_repository = %s\n\n'
                    '[credential]\nkey_repository = %s\n'
                    % (self.log_path, self._database(),
                       'expiration = %d\n' % self.token_expiration
                       if self.token_expiration else '',
                       keys, keys, credential_keys))
        return path

    def _manage(self, conf, *args):
        _run([self.venv.command('keystone-manage'), '--config-file', conf]
             + list(args), os.path.join(self.dir, 'keystone-manage.log'),
             what='keystone-manage %s' % args[0])

    def start(self):
        self.dir = tempfile.mkdtemp(prefix='hs-keystone-run-',
                                    dir=deployment.TEMP_DIR)
        self.port = deployment.free_port()
        conf = self._write_conf()
        self._manage(conf, 'db_sync')
        # Who owns the key repositories: whoever runs the tests.
        owner = ['--keystone-user', pwd.getpwuid(os.getuid()).pw_name,
                 '--keystone-group', grp.getgrgid(os.getgid()).gr_name]
        self._manage(conf, 'fernet_setup', *owner)
        self._manage(conf, 'credential_setup', *owner)
        admin_password = uuid.uuid4().hex
        self._manage(conf, 'bootstrap',
                     '--bootstrap-password', admin_password,
                     '--bootstrap-admin-url', self.url,
                     '--bootstrap-internal-url', self.url,
                     '--bootstrap-public-url', self.url,
                     '--bootstrap-region-id', 'RegionOne')
        self.admin = User('admin', admin_password, 'admin', None,
                          {ROLE_ADMIN, ROLE_MEMBER, ROLE_READER})
        entry = os.path.join(self.dir, 'hs_keystone_wsgi.py')
        with open(entry, 'w') as f:
            f.write(WSGI_ENTRY % {'conf': conf})
        # SQLite has one writer: two worker processes writing at once (a
        # token issued while another user's is) got "database is locked"
        # past Keystone's error handling, a bare HTTP 500. One sync worker
        # serves one request at a time; a database server takes two.
        workers = 2 if self.db_url else 1
        self.process = deployment.Process(
            'keystone-gunicorn',
            [self.venv.command('gunicorn'), '--chdir', self.dir,
             '--bind', '127.0.0.1:%d' % self.port,
             '--workers', str(workers),
             '--timeout', '120', 'hs_keystone_wsgi:application'],
            os.path.join(self.dir, 'gunicorn.log'), self.dir)
        self.process.start()
        self._wait_until_serving()
        self._populate()

    def _wait_until_serving(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if not self.process.running():
                raise KeystoneUnavailable(
                    'gunicorn serving Keystone exited:\n%s'
                    % deployment.tail(self.process.log_path, 40))
            try:
                if requests.get(self.url, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise KeystoneUnavailable(
                    'Keystone not answering on %s after %s s:\n%s' % (
                        self.url, START_TIMEOUT,
                        deployment.tail(self.process.log_path, 40)))
            time.sleep(0.2)

    # --- projects, users, roles ------------------------------------------

    def _api(self, admin, method, path, body=None, ok=(200, 201, 204)):
        response = admin.request(self.url + path, method, json=body,
                                 raise_exc=False)
        if response.status_code not in ok:
            raise KeystoneUnavailable('Keystone %s %s: %s %s' % (
                method, path, response.status_code, response.text))
        return response.json() if response.text else None

    def _populate(self):
        admin = self.admin.session(self.url)
        roles = {r['name']: r['id'] for r in
                 self._api(admin, 'GET', '/roles')['roles']}
        if ROLE_SERVICE not in roles:
            roles[ROLE_SERVICE] = self._api(
                admin, 'POST', '/roles',
                {'role': {'name': ROLE_SERVICE}})['role']['id']
        suffix = uuid.uuid4().hex[:8]
        for key in ('A', 'B', 'service'):
            name = 'hs-%s-%s' % (key.lower(), suffix)
            self.projects[key] = self._api(admin, 'POST', '/projects', {
                'project': {'name': name, 'domain_id': 'default'}})[
                    'project']
        for key, project, role in (('member_a', 'A', ROLE_MEMBER),
                                   ('reader_a', 'A', ROLE_READER),
                                   ('member_b', 'B', ROLE_MEMBER),
                                   ('service', 'service', ROLE_SERVICE)):
            project = self.projects[project]
            user = User('hs-%s-%s' % (key.replace('_', '-'), suffix),
                        uuid.uuid4().hex, project['name'], project['id'],
                        {role})
            user.id = self._api(admin, 'POST', '/users', {'user': {
                'name': user.name, 'password': user.password,
                'domain_id': 'default'}})['user']['id']
            self._api(admin, 'PUT', '/projects/%s/users/%s/roles/%s'
                      % (project['id'], user.id, roles[role]))
            self.users[key] = user
        admin_project = self._api(admin, 'GET', '/projects?name=admin')
        self.admin.project_id = admin_project['projects'][0]['id']

    def stop(self):
        if self.process is not None:
            self.process.stop()
        self._drop_database()
        if self.dir and not config.keep():
            shutil.rmtree(self.dir, ignore_errors=True)


class KeystoneDeployment(deployment.EmbeddedDeployment):
    """heat-snapshots-all with auth_strategy = keystone on ``keystone``."""

    name = 'keystone'

    def __init__(self, keystone):
        super().__init__()
        self.keystone = keystone

    def _conf(self):
        sections = super()._conf()
        service = self.keystone.users['service']
        # DEBUG: the logs show whether a token or password gets written.
        sections['DEFAULT']['debug'] = 'true'
        sections['heat_snapshots_api']['auth_strategy'] = 'keystone'
        sections['keystone_authtoken'] = {
            'www_authenticate_uri': self.keystone.url,
            'auth_url': self.keystone.url,
            'auth_type': 'password',
            'username': service.name,
            'password': service.password,
            'project_name': service.project_name,
            'user_domain_name': 'Default',
            'project_domain_name': 'Default',
            'interface': 'public',
            # Every request validated anew: a revoked token fails at once.
            'token_cache_time': -1,
        }
        # As Heat's own set-up: trusts to the service user, unscoped.
        sections['DEFAULT']['deferred_auth_method'] = 'trusts'
        sections['trustee'] = {
            'auth_type': 'password',
            'auth_url': self.keystone.url,
            'username': service.name,
            'password': service.password,
            'user_domain_name': 'Default',
        }
        return sections

    def _wait_for_engine(self):
        # 503 while no engine answers; the probe needs a real token.
        member = self.keystone.users['member_a']
        token = member.session(self.keystone.url).get_token()

        def answering():
            response = self._get('/v1/%s/stacks' % member.project_id,
                                 headers={'X-Auth-Token': token})
            return response is not None and response.status_code == 200
        probe = '%s/v1/%s/stacks' % (self.endpoint, member.project_id)
        self._wait('GET ' + probe, answering)


class Environment:
    """Keystone and heat-snapshots on it: what the tests use."""

    def __init__(self, venv, keystone, service):
        self.venv = venv
        self.keystone = keystone
        self.service = service
        self.setup_seconds = 0.0

    @property
    def endpoint(self):
        return self.service.endpoint

    def caller(self, key):
        """A clients.Caller for the user ``key`` (member_a, reader_a,
        member_b, admin) with a real token.
        """
        user = (self.keystone.admin if key == 'admin'
                else self.keystone.users[key])
        return clients.Caller(self.endpoint, user.project_id,
                              user.session(self.keystone.url),
                              token_auth=True)

    def user(self, key):
        return (self.keystone.admin if key == 'admin'
                else self.keystone.users[key])

    def stop(self):
        if self.service is not None:
            self.service.stop()
        if self.keystone is not None:
            self.keystone.stop()


_LOCK = threading.Lock()
_STATE = {}


def _start(token_expiration=None):
    started = time.monotonic()
    venv = Virtualenv().ensure()
    keystone = Keystone(venv, token_expiration=token_expiration)
    atexit.register(keystone.stop)
    try:
        keystone.start()
    except KeystoneUnavailable:
        keystone.stop()
        raise
    service = KeystoneDeployment(keystone)
    atexit.register(service.stop)
    try:
        service.start()
    except deployment.StartFailed as error:
        raise KeystoneUnavailable(str(error))
    environment = Environment(venv, keystone, service)
    environment.setup_seconds = time.monotonic() - started
    print('heat-snapshots functional: Keystone %s and %s ready in %.1f s '
          '(virtualenv install %.1f s)' % (
              keystone.url, service, environment.setup_seconds,
              venv.install_seconds), file=sys.stderr)
    return environment


def get(token_expiration=None):
    """The Environment of this process, started on first use.

    :param token_expiration: seconds Keystone's tokens live; each value
        has an Environment of its own.
    :raises: KeystoneUnavailable, each time, when the first start failed.
    """
    with _LOCK:
        if token_expiration not in _STATE:
            try:
                _STATE[token_expiration] = _start(token_expiration)
            except KeystoneUnavailable as error:
                _STATE[token_expiration] = error
        found = _STATE[token_expiration]
    if isinstance(found, Exception):
        raise KeystoneUnavailable(str(found))
    return found
