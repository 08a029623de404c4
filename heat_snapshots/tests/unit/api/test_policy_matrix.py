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

"""Who may do what: every snapshot rule, role set and project relation.

The cases are generated: each operation (the five snapshot rules, the stack
lookup by name and by id, and the stack show) for each role set (admin,
member, reader, none) in each relation of the caller to the stack:

``own``
    the caller is in the stack's project and names it in the URL.
``other-url-stack-tenant``
    the caller is in another project but names the stack's project in the
    URL: 403 HTTPForbidden before anything is looked up, as Heat answers
    (admins may act across tenants).
``other-url-own-tenant``
    the caller is in another project, names its own project in the URL and
    the other project's stack: 404 EntityNotFound, as in Heat (admins find
    stacks of every project by id; a lookup by name is always the caller's
    own project's, in Heat too).

Every case is its own test (testscenarios), so ``stestr list`` lists the
matrix; each test records its expected and actual answer in its details.
``PolicyMatrixSummaryTest`` runs the whole matrix in one test and fails
listing every mismatch at once.

Requests go through the real WSGI stack in noauth mode, roles in X-Roles
(expanded as Keystone's implied roles would be: admin > member > reader).
"""

import collections
import json

import testscenarios
from testtools import content

from heat_snapshots.policies import snapshots as snapshot_policies
from heat_snapshots.policies import stacks as stack_policies
from heat_snapshots.tests import base as test_base
from heat_snapshots.tests.unit.api import api_fixture
from heat_snapshots.tests.unit.api import base

load_tests = testscenarios.load_tests_apply_scenarios

OWNER = api_fixture.PROJECT
OTHER = 'project-b'

# Role sets as a caller asks for them in X-Roles.
ROLES = collections.OrderedDict([
    ('admin', ['admin']),
    ('member', ['member', 'reader']),
    ('reader', ['reader']),
    ('none', []),
])

OWN = 'own'
OTHER_URL_STACK_TENANT = 'other-url-stack-tenant'
OTHER_URL_OWN_TENANT = 'other-url-own-tenant'
RELATIONS = (OWN, OTHER_URL_STACK_TENANT, OTHER_URL_OWN_TENANT)

# ``body``: the POST body's keys beyond {"name": "by-<role>"}, each value
# formatted with the case's role, relation and a serial number.
Operation = collections.namedtuple(
    'Operation', 'name rule method path success write by_name body',
    defaults=(None,))

OPERATIONS = [
    Operation('stack_lookup', stack_policies.LOOKUP, 'GET',
              '/v1/{tenant}/stacks/{name}', 302, False, True),
    Operation('stack_lookup_by_id', stack_policies.LOOKUP, 'GET',
              '/v1/{tenant}/stacks/{id}', 302, False, False),
    Operation('stack_show', stack_policies.SHOW, 'GET',
              '/v1/{tenant}/stacks/{name}/{id}', 200, False, False),
    Operation('list_snapshots', snapshot_policies.LIST_SNAPSHOTS, 'GET',
              '/v1/{tenant}/stacks/{name}/{id}/snapshots', 200, False,
              False),
    Operation('show_snapshot', snapshot_policies.SHOW_SNAPSHOT, 'GET',
              '/v1/{tenant}/stacks/{name}/{id}/snapshots/{snapshot}', 200,
              False, False),
    Operation('snapshot', snapshot_policies.SNAPSHOT, 'POST',
              '/v1/{tenant}/stacks/{name}/{id}/snapshots', 200, True,
              False),
    Operation('delete_snapshot', snapshot_policies.DELETE_SNAPSHOT,
              'DELETE',
              '/v1/{tenant}/stacks/{name}/{id}/snapshots/{snapshot}', 204,
              True, False),
    Operation('restore_snapshot', snapshot_policies.RESTORE_SNAPSHOT,
              'POST',
              '/v1/{tenant}/stacks/{name}/{id}/snapshots/{snapshot}/restore',
              202, True, False),
    # heat-snapshots' own.
    Operation('preview_restore_snapshot',
              snapshot_policies.PREVIEW_RESTORE_SNAPSHOT, 'POST',
              '/v1/{tenant}/stacks/{name}/{id}/snapshots/{snapshot}/'
              'restore_preview', 200, False, False),
    Operation('clone_snapshot', snapshot_policies.CLONE_SNAPSHOT, 'POST',
              '/v1/{tenant}/stacks/{name}/{id}/snapshots/{snapshot}/clone',
              201, True, False,
              body={'stack_name': 'clone-{role}-{relation}-{serial}'}),
]

FORBIDDEN_TENANT = (403, 'HTTPForbidden')
FORBIDDEN_POLICY = (403, 'Forbidden')
NOT_FOUND = (404, 'EntityNotFound')


def allowed(role, operation):
    """Whether the role set passes the operation's default rule."""
    if role in ('admin', 'member'):
        return True
    if role == 'reader':
        return not operation.write
    return False


def expected(role, relation, operation):
    """(status, error type or None) that Heat's rules give the case."""
    success = (operation.success, None)
    if relation == OTHER_URL_STACK_TENANT and role != 'admin':
        # The URL's tenant is checked first, whatever the roles.
        return FORBIDDEN_TENANT
    if not allowed(role, operation):
        return FORBIDDEN_POLICY
    if relation == OWN:
        return success
    if role == 'admin':
        # An admin acts on any project's stack by id; a name is looked up
        # in the caller's own project only.
        return NOT_FOUND if operation.by_name else success
    return NOT_FOUND


def caller(role, relation):
    """(caller's project, URL tenant) of a relation."""
    return {OWN: (OWNER, OWNER),
            OTHER_URL_STACK_TENANT: (OTHER, OWNER),
            OTHER_URL_OWN_TENANT: (OTHER, OTHER)}[relation]


def cases():
    """Every (case id, role, relation, operation), in a stable order."""
    for operation in OPERATIONS:
        for role in ROLES:
            for relation in RELATIONS:
                yield ('%s-%s-%s' % (operation.name, role, relation),
                       role, relation, operation)


def describe(expectation):
    status, error_type = expectation
    return '%s %s' % (status, error_type) if error_type else str(status)


class _Matrix(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack('matrix')
        self.snap = self.snapshot(self.stack, 'matrix-snap')

    def run_case(self, role, relation, operation):
        """(status, error type or None) of one case's request."""
        project, tenant = caller(role, relation)
        path = operation.path.format(
            tenant=tenant, name=self.stack['stack_name'],
            id=self.stack['id'], snapshot=self.snap['id'])
        headers = api_fixture.headers(project=project, user='caller',
                                      roles=ROLES[role])
        kwargs = {}
        if operation.method == 'POST':
            body = {'name': 'by-' + role}
            self.serial = getattr(self, 'serial', 0) + 1
            for key, value in (operation.body or {}).items():
                body[key] = value.format(role=role, relation=relation,
                                         serial=self.serial)
            kwargs = {'body': json.dumps(body).encode(),
                      'content_type': 'application/json'}
        response = self.app.request(path, method=operation.method,
                                    headers=headers, expect_errors=True,
                                    **kwargs)
        error_type = None
        if response.status_int >= 400:
            error_type = response.json['error']['type']
        return response.status_int, error_type


class PolicyMatrixTest(_Matrix):
    """One test per case of the matrix."""

    scenarios = [(case_id, {'role': role, 'relation': relation,
                            'operation': operation})
                 for case_id, role, relation, operation in cases()]

    def test_case(self):
        want = expected(self.role, self.relation, self.operation)
        got = self.run_case(self.role, self.relation, self.operation)
        project, tenant = caller(self.role, self.relation)
        self.addDetail('case', content.text_content(
            '%s %s as roles %s of %s, URL tenant %s (rule %s): expected '
            '%s, got %s' % (self.operation.method, self.operation.path,
                            ROLES[self.role] or '[]', project, tenant,
                            self.operation.rule, describe(want),
                            describe(got))))
        self.assertEqual(want, got)


class PolicyMatrixSummaryTest(_Matrix):
    """The whole matrix at once: a table of every case, all mismatches."""

    def test_matrix(self):
        rows = []
        mismatches = []
        changed = False
        for case_id, role, relation, operation in cases():
            if changed:
                # A write went through: a fresh stack and snapshot.
                self.stack = self.create_stack('m-%d' % len(rows))
                self.snap = self.snapshot(self.stack, 'snap')
            want = expected(role, relation, operation)
            got = self.run_case(role, relation, operation)
            changed = operation.write and got[0] < 400
            ok = want == got
            rows.append('%-4s %-52s expected %-18s got %s' % (
                'ok' if ok else 'FAIL', case_id, describe(want),
                describe(got)))
            if not ok:
                mismatches.append(rows[-1])
        self.addDetail('matrix', content.text_content('\n'.join(rows)))
        self.assertEqual(len(OPERATIONS) * len(ROLES) * len(RELATIONS),
                         len(rows))
        if mismatches:
            self.fail('%d of %d policy cases differ:\n%s' % (
                len(mismatches), len(rows), '\n'.join(mismatches)))


class CoverageTest(test_base.TestCase):

    def test_every_snapshot_rule_is_in_the_matrix(self):
        rules = {r.name for r in snapshot_policies.list_rules()}
        self.assertEqual(set(), rules - {o.rule for o in OPERATIONS})

    def test_case_count(self):
        self.assertEqual(len(OPERATIONS) * len(ROLES) * len(RELATIONS),
                         len(PolicyMatrixTest.scenarios))
