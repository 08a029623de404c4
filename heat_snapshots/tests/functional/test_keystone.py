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

"""Tenant isolation, policies and trusts with real Keystone tokens.

heat-snapshots-all runs with ``auth_strategy = keystone``; keystonemiddleware
validates every token against a real Keystone (keystone_fixture.py). The
callers are users of projects A and B holding Keystone's member and reader
roles, with keystoneauth1 password sessions.

TrustTest runs on a second Keystone whose tokens live TOKEN_LIFETIME
seconds: a snapshot that takes longer completes on the Keystone trust its
request created, and the trust is gone afterwards.
"""

import datetime
import logging
import os
import re
import sys
import time

import fixtures
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from oslotest import base as oslotest_base
import requests
from testtools import content

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import keystone_fixture
from heat_snapshots.tests.functional import waiters

FORBIDDEN_TENANT = (403, 'HTTPForbidden')
FORBIDDEN_POLICY = (403, 'Forbidden')
NOT_FOUND = (404, 'EntityNotFound')


TOKEN_LIFETIME = 20
SNAPSHOT_SECONDS = 35
# What the engine logs when it deletes an operation's trust.
TRUST_DELETED = re.compile(
    r'Trust (?P<trust>\w+) of (?P<what>.+?) deleted, with a token of the '
    r'trust \(user (?P<user>\w+), project (?P<project>\w+), token '
    r'expires (?P<expires>\S+)\)')


class _KeystoneBase(oslotest_base.BaseTestCase):

    #: Seconds the tokens of the test's Keystone live; None: an hour.
    token_expiration = None

    def setUp(self):
        super().setUp()
        if 'OS_LOG_CAPTURE' not in os.environ:
            self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        try:
            self.env = keystone_fixture.get(self.token_expiration)
        except keystone_fixture.KeystoneUnavailable as error:
            if config.in_ci():
                self.fail('Keystone is needed in CI (CI=true): %s' % error)
            self.skipTest('no Keystone to test with: %s' % error)
        self.keystone = self.env.keystone
        self.member_a = self.env.caller('member_a')
        self.reader_a = self.env.caller('reader_a')
        self.member_b = self.env.caller('member_b')
        base.attach_log_tails(self, {
            'heat-snapshots': self.env.service.processes[-1].log_path,
            'keystone': self.keystone.log_path})

    # --- helpers ----------------------------------------------------------

    def create_stack(self, caller=None):
        """A stack of member_a's project with a COMPLETE snapshot."""
        caller = caller or self.member_a
        name = 'hsk-%s' % self.getUniqueString().replace('_', '-')[-20:]
        body = caller.heat.stacks.create(
            stack_name=name, template=base.none_template(2), parameters={})
        stack = '%s/%s' % (name, body['stack']['id'])
        self.addCleanup(self._delete_stack, caller, stack)
        waiters.wait_for_stack_status(caller, stack, 'CREATE_COMPLETE')
        return stack

    def _delete_stack(self, caller, stack):
        response = caller.delete('/stacks/%s' % stack)
        if response.status_code != 404:
            waiters.wait_for_stack_deleted(caller, stack)

    def snapshot(self, stack, caller=None):
        caller = caller or self.member_a
        response = caller.post('/stacks/%s/snapshots' % stack,
                               {'name': 'snap'})
        self.assertStatus(200, response)
        return waiters.wait_for_snapshot_status(
            caller, stack, response.json()['id'], 'COMPLETE')

    def assertStatus(self, expected, response):
        self.assertEqual(expected, response.status_code, '%s %s -> %s %s' % (
            response.request.method, response.request.url,
            response.status_code, response.text))

    def assertError(self, expected, response):
        status, error_type = expected
        self.assertStatus(status, response)
        self.assertEqual(error_type, response.json()['error']['type'],
                         response.text)


class KeystoneTest(_KeystoneBase):

    # --- scenarios --------------------------------------------------------

    def test_tokens_carry_the_roles_keystone_gave(self):
        # Keystone expands implied roles: member brings reader along.
        def roles(key):
            user = self.env.user(key)
            session = user.session(self.keystone.url)
            return set(session.auth.get_access(session).role_names)
        self.assertEqual({'member', 'reader'}, roles('member_a'))
        self.assertEqual({'reader'}, roles('reader_a'))
        self.assertLessEqual({'admin', 'member', 'reader'}, roles('admin'))

    def test_member_snapshots_restores_and_deletes_own_stack(self):
        stack = self.create_stack()
        snap = self.snapshot(stack)
        path = '/stacks/%s/snapshots' % stack
        listed = self.member_a.get(path)
        self.assertStatus(200, listed)
        self.assertEqual([snap['id']],
                         [s['id'] for s in listed.json()['snapshots']])
        self.assertStatus(200, self.member_a.get(path + '/' + snap['id']))
        # python-heatclient, with the same session and token.
        self.assertEqual([snap['id']], [s['id'] for s in (
            self.member_a.heat.stacks.snapshot_list(stack)['snapshots'])])
        self.assertStatus(202, self.member_a.post(
            '%s/%s/restore' % (path, snap['id'])))
        waiters.wait_for_stack_status(self.member_a, stack,
                                      'RESTORE_COMPLETE')
        self.assertStatus(204, self.member_a.delete(
            '%s/%s' % (path, snap['id'])))
        waiters.wait_for_snapshot_deleted(self.member_a, stack, snap['id'])

    def test_reader_reads_but_may_not_change(self):
        stack = self.create_stack()
        snap = self.snapshot(stack)
        path = '/stacks/%s/snapshots' % stack
        item = '%s/%s' % (path, snap['id'])
        self.assertStatus(302, self.reader_a.get(
            '/stacks/%s' % stack.split('/')[0]))
        self.assertStatus(200, self.reader_a.get('/stacks/%s' % stack))
        self.assertStatus(200, self.reader_a.get(path))
        self.assertStatus(200, self.reader_a.get(item))
        for response in (self.reader_a.post(path, {'name': 'r'}),
                         self.reader_a.post(item + '/restore'),
                         self.reader_a.delete(item)):
            self.assertError(FORBIDDEN_POLICY, response)
        self.assertIn('stacks:snapshot', self.reader_a.post(
            path, {'name': 'r'}).json()['error']['message'])
        # Nothing changed.
        self.assertEqual('COMPLETE', self.member_a.get(item).json()[
            'snapshot']['status'])

    def test_other_project_gets_403_with_a_tenant_and_404_with_its_own(self):
        stack = self.create_stack()
        snap = self.snapshot(stack)
        tenant_a = self.member_a.project_id
        path = '/stacks/%s/snapshots' % stack
        item = '%s/%s' % (path, snap['id'])
        b = self.member_b
        for tenant, expected in ((tenant_a, FORBIDDEN_TENANT),
                                 (None, NOT_FOUND)):
            for response in (b.get('/stacks/%s' % stack, tenant=tenant),
                             b.get(path, tenant=tenant),
                             b.get(item, tenant=tenant),
                             b.post(path, {'name': 'b'}, tenant=tenant),
                             b.post(item + '/restore', tenant=tenant),
                             b.delete(item, tenant=tenant)):
                self.assertError(expected, response)
        # A's snapshot is untouched and the only one.
        listed = self.member_a.get(path).json()['snapshots']
        self.assertEqual([(snap['id'], 'COMPLETE')],
                         [(s['id'], s['status']) for s in listed])

    def test_admin_acts_across_tenants(self):
        stack = self.create_stack()
        snap = self.snapshot(stack)
        admin = self.env.caller('admin')
        tenant_a = self.member_a.project_id
        response = admin.get('/stacks/%s/snapshots/%s'
                             % (stack, snap['id']), tenant=tenant_a)
        self.assertStatus(200, response)

    def test_no_token_is_401(self):
        url = '%s/v1/%s/stacks' % (self.env.endpoint,
                                   self.member_a.project_id)
        response = requests.get(url, timeout=60)
        self.assertStatus(401, response)
        self.assertIn('Keystone uri=', response.headers.get(
            'WWW-Authenticate', ''))
        # noauth's headers mean nothing here.
        response = requests.get(url, timeout=60, headers={
            'X-Auth-Project': self.member_a.project_id,
            'X-Roles': 'admin', 'X-Identity-Status': 'Confirmed'})
        self.assertStatus(401, response)

    def test_garbage_token_is_401(self):
        url = '%s/v1/%s/stacks' % (self.env.endpoint,
                                   self.member_a.project_id)
        for token in ('garbage', 'gAAAAAB' + 'x' * 180):
            response = requests.get(url, timeout=60,
                                    headers={'X-Auth-Token': token})
            self.assertStatus(401, response)

    def test_revoked_token_is_401(self):
        user = self.env.user('member_b')
        session = user.session(self.keystone.url)
        token = session.get_token()
        url = '%s/v1/%s/stacks' % (self.env.endpoint, user.project_id)
        self.assertStatus(200, requests.get(
            url, timeout=60, headers={'X-Auth-Token': token}))
        admin = self.env.user('admin').session(self.keystone.url)
        response = admin.delete(self.keystone.url + '/auth/tokens',
                                headers={'X-Subject-Token': token},
                                raise_exc=False)
        self.assertEqual(204, response.status_code, response.text)
        # token_cache_time = -1: every request is validated anew.
        self.assertStatus(401, requests.get(
            url, timeout=60, headers={'X-Auth-Token': token}))

    def test_logs_hold_no_token_or_password(self):
        stack = self.create_stack()
        self.snapshot(stack)
        tokens = [self.member_a.session.get_token(),
                  self.reader_a.session.get_token()]
        self.reader_a.get('/stacks/%s/snapshots' % stack)
        secrets = tokens + [self.keystone.users['service'].password]
        for process in self.env.service.processes:
            with open(process.log_path, errors='replace') as f:
                logged = f.read()
            self.assertIn('DEBUG', logged)
            for secret in secrets:
                self.assertNotIn(secret, logged,
                                 'a secret is in %s' % process.log_path)


class TrustTest(_KeystoneBase):
    """Work that outlives its caller's token, on a Keystone trust."""

    token_expiration = TOKEN_LIFETIME

    def setUp(self):
        super().setUp()
        self.member = self.env.user('member_a')
        self.admin = self.env.user('admin').session(self.keystone.url)
        # The trust of an earlier test's cleanup (its stack delete) goes
        # just after the stack does: each test starts with none.
        self.wait_no_trust('left by an earlier test')

    def keystone_get(self, path, **kwargs):
        response = self.admin.get(self.keystone.url + path, raise_exc=False,
                                  **kwargs)
        self.assertIn(response.status_code, (200, 404), response.text)
        return response

    def trusts_of(self, user):
        """The trusts ``user`` delegates, as Keystone lists them."""
        return self.keystone_get('/OS-TRUST/trusts?trustor_user_id=%s'
                                 % user.id).json()['trusts']

    def wait_no_trust(self, what):
        """Wait until member_a delegates no trust; the (empty) list."""
        def none_left():
            left = self.trusts_of(self.member)
            return not left, left
        return waiters.wait_for(none_left, 'no trust of member_a %s' % what,
                                timeout=60)

    def token_valid(self, token):
        return self.keystone_get('/auth/tokens', headers={
            'X-Subject-Token': token}).status_code == 200

    def slow_stack(self):
        caller = self.member_a
        name = 'hst-%s' % self.getUniqueString().replace('_', '-')[-20:]
        body = caller.heat.stacks.create(
            stack_name=name, parameters={}, template=base.template({
                'slow': {'type': 'OS::Heat::TestResource', 'properties': {
                    'value': 'kept',
                    'action_wait_secs': {'snapshot': SNAPSHOT_SECONDS}}}}))
        stack = '%s/%s' % (name, body['stack']['id'])
        self.addCleanup(self._delete_stack, caller, stack)
        waiters.wait_for_stack_status(caller, stack, 'CREATE_COMPLETE')
        return stack

    def engine_log(self):
        with open(self.env.service.processes[-1].log_path,
                  errors='replace') as f:
            return f.read()

    def report(self, line):
        self.addDetail('trusts', content.text_content(line))
        # On the test run's output (stestr passes the workers' stderr on).
        # The process's stderr (fd 2): sys.stderr may be a capture
        # fixture's stream, which has no file descriptor.
        sys.stderr.flush()
        os.write(2, ('heat-snapshots trusts: %s\n' % line).encode())

    def test_snapshot_outliving_its_token_completes_on_a_trust(self):
        stack = self.slow_stack()
        self.assertEqual([], self.trusts_of(self.member))
        session = self.member.session(self.keystone.url)
        access = session.auth.get_access(session)
        token = access.auth_token
        started = time.monotonic()
        response = self.member_a.post('/stacks/%s/snapshots' % stack,
                                      {'name': 'long'},
                                      headers={'X-Auth-Token': token})
        self.assertStatus(200, response)
        snapshot_id = response.json()['id']

        # While it runs: one trust from the caller to heat-snapshots'
        # service user, in the caller's project, with impersonation.
        trusts = self.trusts_of(self.member)
        self.assertEqual(1, len(trusts), trusts)
        trust = trusts[0]
        self.assertEqual(
            (self.keystone.users['service'].id, self.member.project_id,
             True),
            (trust['trustee_user_id'], trust['project_id'],
             trust['impersonation']))
        roles = self.keystone_get('/OS-TRUST/trusts/%s/roles'
                                  % trust['id']).json()['roles']
        self.assertIn('member', {role['name'] for role in roles})

        snapshot = waiters.wait_for_snapshot_status(
            self.member_a, stack, snapshot_id, 'COMPLETE',
            timeout=SNAPSHOT_SECONDS + 120)
        took = time.monotonic() - started
        self.assertGreater(took, TOKEN_LIFETIME)
        # The request's token expired long before the snapshot ended.
        self.assertFalse(self.token_valid(token))

        # The trust goes as the operation ends (just after its status).
        left = self.wait_no_trust('after snapshot %s' % snapshot_id)
        self.assertEqual([], left)
        self.assertStatus(404, self.admin.get(
            '%s/OS-TRUST/trusts/%s' % (self.keystone.url, trust['id']),
            raise_exc=False))

        # The engine deleted it with a token of the trust, acting as the
        # caller in the caller's project, that Keystone issued after the
        # caller's token had expired.
        deleted = [m for m in TRUST_DELETED.finditer(self.engine_log())
                   if m.group('trust') == trust['id']]
        self.assertEqual(1, len(deleted), self.engine_log()[-4000:])
        deleted = deleted[0]
        self.assertEqual((self.member.id, self.member.project_id),
                         (deleted.group('user'), deleted.group('project')))
        issued = (datetime.datetime.fromisoformat(deleted.group('expires'))
                  - datetime.timedelta(seconds=TOKEN_LIFETIME))
        self.assertGreater(issued, access.expires)
        self.report('token lifetime %d s, snapshot took %.0f s, status %s, '
                    'trust %s used by %s after the token expired, trusts '
                    'left %d' % (TOKEN_LIFETIME, took, snapshot['status'],
                                 trust['id'], deleted.group('what'),
                                 len(left)))

    def test_token_that_cannot_delegate_starts_nothing(self):
        # An application credential's token may not manage trusts
        # (Keystone: "Delegated tokens cannot manage trusts").
        stack = self.create_stack()
        session = self.member.session(self.keystone.url)
        credential = session.post(
            '%s/users/%s/application_credentials' % (self.keystone.url,
                                                     self.member.id),
            json={'application_credential': {
                'name': self.getUniqueString()}}).json()[
            'application_credential']
        self.addCleanup(session.delete, '%s/users/%s/application_'
                        'credentials/%s' % (self.keystone.url,
                                            self.member.id,
                                            credential['id']),
                        raise_exc=False)
        app_session = ks_session.Session(auth=v3.ApplicationCredential(
            auth_url=self.keystone.url,
            application_credential_id=credential['id'],
            application_credential_secret=credential['secret']))
        token = app_session.get_token()
        path = '/stacks/%s/snapshots' % stack
        response = self.member_a.post(path, {'name': 'no-trust'},
                                      headers={'X-Auth-Token': token})
        self.assertError((400, 'MissingCredentialError'), response)
        message = response.json()['error']['message']
        self.assertIn('Missing required credential: roles', message)
        self.assertIn('Delegated tokens cannot manage trusts', message)
        # Nothing started: no snapshot, the stack as it was, no trust.
        self.assertEqual([], self.member_a.get(path).json()['snapshots'])
        self.assertEqual('CREATE_COMPLETE', self.member_a.get(
            '/stacks/%s' % stack).json()['stack']['stack_status'])
        self.assertEqual([], self.trusts_of(self.member))
        self.report('a token that cannot delegate: %s %s "%s"; snapshots '
                    '0, trusts 0' % (response.status_code,
                                     response.json()['error']['type'],
                                     message))

    def test_stack_delete_runs_on_a_trust_deleted_at_its_end(self):
        # The delete of the stack's snapshots and their artifacts
        # outlives the request: it runs on a trust of its own.
        stack = self.create_stack()
        snapshot = self.snapshot(stack)
        stack_id = stack.split('/')[1]
        response = self.member_a.delete('/stacks/%s' % stack)
        self.assertStatus(204, response)
        waiters.wait_for_stack_deleted(self.member_a, stack)

        def ended():
            deleted = [m for m in TRUST_DELETED.finditer(self.engine_log())
                       if m.group('what') == 'the DELETE of stack %s'
                       % stack_id]
            return bool(deleted), deleted
        deleted = waiters.wait_for(ended, 'the trust of the delete of '
                                   'stack %s deleted' % stack_id,
                                   timeout=60)
        self.assertEqual((self.member.id, self.member.project_id),
                         (deleted[0].group('user'),
                          deleted[0].group('project')))
        # (The snapshot's trust goes just after its end, which the delete
        # may have followed closely.)
        left = self.wait_no_trust('left')
        self.report('stack delete with snapshot %s: trust %s deleted at its '
                    'end, trusts left %d' % (snapshot['id'],
                                             deleted[0].group('trust'),
                                             len(left)))
