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

"""Every answer as api-ref/source/openapi.yaml documents it.

schemathesis's own checks (a server error, the status, the content type,
the headers, the body's schema) judge every answer: those of hand-written
requests to every operation (``OpenAPIConformanceTest``) and those of the
requests schemathesis generates, valid and invalid, for every operation
(``PropertyBasedTest``, a bounded number of examples). Heat's error body
is checked on every 4xx besides.
"""

import collections
import os
import re
import sys
import time
from urllib import parse

import jsonschema
import requests
from testtools import content

from heat_snapshots.tests.functional.bad_input import base
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import live_service

try:
    import hypothesis
    from hypothesis import strategies
    import schemathesis
    from schemathesis import checks as st_checks
    from schemathesis.specs.openapi import checks as st_openapi_checks
except ImportError as error:  # pragma: no cover
    schemathesis = None
    SCHEMATHESIS_MISSING = str(error)

HEADERS = base.HEADERS
JSON_HEADERS = base.JSON_HEADERS
PROJECT = base.PROJECT
TIMEOUT = base.TIMEOUT

# The generated run: examples per operation and strategy; it stops at
# RUN_BUDGET seconds whatever is left, so that it stays within a minute.
MAX_EXAMPLES = int(os.environ.get('HS_BAD_INPUT_MAX_EXAMPLES', '25'))
RUN_BUDGET = float(os.environ.get('HS_BAD_INPUT_BUDGET', '45'))

# Destructive operations last, so that the others meet the seeded stack
# and snapshot as they were.
OPERATION_ORDER = [
    'listVersions', 'listStacks', 'findStack', 'showStack', 'getTemplate',
    'listResources', 'listSnapshots', 'showSnapshot',
    'listSnapshotResources', 'listSnapshotPolicies', 'showSnapshotPolicy',
    'listPolicyRuns', 'previewPolicyPrune', 'listProjectSnapshots',
    'showProjectSnapshot', 'createStack', 'createSnapshot',
    'cancelSnapshotOperation', 'restoreSnapshot', 'previewRestoreSnapshot',
    'cloneSnapshot', 'cloneProjectSnapshot',
    'createSnapshotPolicy', 'updateSnapshotPolicy',
    'runSnapshotPolicy', 'updateStack', 'patchStack',
    'deleteSnapshotPolicy', 'deleteProjectSnapshot', 'deleteSnapshot',
    'deleteStack',
]


def schemathesis_checks():
    """schemathesis's checks every answer must pass."""
    return [st_checks.not_a_server_error,
            st_openapi_checks.status_code_conformance,
            st_openapi_checks.content_type_conformance,
            st_openapi_checks.response_headers_conformance,
            st_openapi_checks.response_schema_conformance]


class SchemaTest(base.LiveServiceTest):
    """The document loaded by schemathesis."""

    def setUp(self):
        if schemathesis is None:
            if config.in_ci():
                self.fail('schemathesis is needed (CI=true): %s'
                          % SCHEMATHESIS_MISSING)
            self.skipTest('schemathesis is not installed (%s); pip install '
                          '-r test-requirements.txt' % SCHEMATHESIS_MISSING)
        super().setUp()
        self.schema = schemathesis.openapi.from_dict(self.spec)

    def conformance_failure(self, path, method, response):
        """schemathesis's verdict on ``response`` to ``method path`` (the
        path template, as the document names it), or None.
        """
        # The case as sent: its path parameters read off the request's URL.
        sent = parse.urlsplit(response.request.url).path
        pattern = re.sub(r'\\{(\w+)\\}', r'(?P<\1>[^/]+)', re.escape(path))
        found = re.fullmatch(pattern, sent)
        parameters = {name: parse.unquote(value) for name, value in
                      (found.groupdict() if found else {}).items()}
        case = self.schema[path][method].Case(
            **({'path_parameters': parameters} if parameters else {}))
        try:
            case.validate_response(response, checks=schemathesis_checks())
        except Exception as failure:
            return str(failure)[:1500]
        return None


class OpenAPIConformanceTest(SchemaTest):
    """Every documented operation answers as the document says."""

    def _check(self, path, method, response, expected=None):
        if expected is not None:
            self.assertEqual(expected, response.status_code,
                             '%s %s: %s' % (method, path, response.text))
        self.assertIsNone(self.conformance_failure(path, method, response),
                          '%s %s -> %s %r' % (method, path,
                                              response.status_code,
                                              response.content[:500]))
        if response.status_code >= 400:
            self.assertEqual([], base.heat_error_problems(response))
        return response

    def _settled_snapshot(self, snapshot_url):
        shown = self.request('GET', snapshot_url).json()['snapshot']
        return None if shown['status'] == 'IN_PROGRESS' else shown

    def _ended_run(self, runs_url, run_id):
        for run in self.request('GET', runs_url).json()['runs']:
            if run['id'] == run_id and run['status'] != 'IN_PROGRESS':
                return run
        return None

    def test_document_is_valid_openapi(self):
        self.assertEqual('3.1.0', self.spec['openapi'])
        operations = {op['operationId']
                      for item in self.spec['paths'].values()
                      for name, op in item.items() if name != 'parameters'}
        self.assertEqual(set(OPERATION_ORDER), operations)
        for schema in self.spec['components']['schemas'].values():
            jsonschema.Draft202012Validator.check_schema(schema)

    def test_every_operation_conforms(self):
        s = self.service
        stacks = '/v1/{tenant_id}/stacks'
        lookup = stacks + '/{stack_name}'
        stack = lookup + '/{stack_id}'
        snapshots = stack + '/snapshots'
        snapshot = snapshots + '/{snapshot_id}'
        restore = snapshot + '/restore'
        other = dict(HEADERS, **{'X-Auth-Project': 'someone-else'})

        self._check('/', 'GET', self.request('GET', s.url('/')), 300)

        # Stacks: list, create, find.
        self._check(stacks, 'GET', self.request('GET', s.stacks_url()), 200)
        self._check(stacks, 'GET', self.request(
            'GET', s.stacks_url() + '?limit=x'), 400)
        self._check(stacks, 'GET', self.request(
            'GET', s.stacks_url(), headers=other), 403)
        name = 'conformance'
        created = self._check(stacks, 'POST', self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS,
            json={'stack_name': name,
                  'template': live_service.SLOW_SNAPSHOT_TEMPLATE}),
            201)
        mine = {'stack_name': name, 'id': created.json()['stack']['id']}
        s.wait(lambda: s._stack_settled(mine), 'stack ' + name)
        self._check(stacks, 'POST', self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS,
            json={'stack_name': name, 'template': live_service.TEMPLATE}),
            409)
        self._check(stacks, 'POST', self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS,
            json={'stack_name': '1bad'}), 400)
        self._check(stacks, 'POST', self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS,
            data=b'{"stack_name": "' + b'x' * base.MAX_BODY + b'"}'), 413)
        for accept in ('application/json', 'text/plain'):
            found = self._check(lookup, 'GET', self.request(
                'GET', s.stacks_url() + '/' + name,
                headers=dict(HEADERS, Accept=accept)), 302)
            self.assertTrue(found.headers['Location'].endswith(
                '/stacks/%s/%s' % (name, mine['id'])))
        self._check(lookup, 'GET', self.request(
            'GET', s.stacks_url() + '/no-such-stack'), 404)

        # One stack.
        self._check(stack, 'GET', self.request('GET', s.stack_url(mine)),
                    200)
        self._check(stack, 'GET', self.request(
            'GET', s.stacks_url() + '/%s/%s' % (name, 'not-its-id')), 404)
        self._check(stack + '/template', 'GET', self.request(
            'GET', s.stack_url(mine) + '/template'), 200)
        self._check(stack + '/resources', 'GET', self.request(
            'GET', s.stack_url(mine) + '/resources'), 200)
        self._check(stack + '/resources', 'GET', self.request(
            'GET', s.stacks_url() + '/%s/x/resources' % name), 404)

        # Snapshots.
        url = s.stack_url(mine) + '/snapshots'
        self._check(snapshots, 'GET', self.request('GET', url), 200)
        self._check(snapshots, 'POST', self.request(
            'POST', url, headers=JSON_HEADERS, data=b'[]'), 400)
        made = self._check(snapshots, 'POST', self.request(
            'POST', url, headers=JSON_HEADERS, json={'name': 'c'}), 200)
        self._check(snapshots, 'POST', self.request(
            'POST', url, headers=JSON_HEADERS, json={'name': 'busy'}),
            409)
        snapshot_id = made.json()['id']
        self._check(snapshot, 'GET', self.request(
            'GET', url + '/' + snapshot_id), 200)
        s.wait(lambda: s._stack_settled(mine), 'snapshot done')
        self._check(snapshots, 'GET', self.request('GET', url), 200)
        self._check(snapshot, 'GET', self.request(
            'GET', url + '/' + snapshot_id), 200)
        self._check(snapshot, 'GET', self.request(
            'GET', url + '/not-a-uuid'), 404)
        # heat-snapshots' own: the resources of a snapshot's operation,
        # and a page of the list.
        listed = self._check(snapshot + '/resources', 'GET', self.request(
            'GET', url + '/%s/resources' % snapshot_id), 200)
        self.assertEqual(['slow'], [r['name'] for r in
                                    listed.json()['resources']])
        self._check(snapshot + '/resources', 'GET', self.request(
            'GET', url + '/nope/resources'), 404)
        page = self._check(snapshots, 'GET', self.request(
            'GET', url, params={'limit': 1, 'sort_keys': 'name,status',
                                'sort_dir': 'desc', 'status': 'COMPLETE',
                                'name': 'c'}), 200)
        self.assertEqual([snapshot_id],
                         [x['id'] for x in page.json()['snapshots']])
        for bad in ({'sort_keys': 'id'}, {'sort_dir': 'up'},
                    {'status': 'DONE'}, {'limit': '-1'},
                    {'marker': 'not-a-uuid'}):
            self._check(snapshots, 'GET', self.request(
                'GET', url, params=bad), 400)
        # The project's snapshots, by id alone.
        project_snapshots = '/v1/{tenant_id}/snapshots'
        project_snapshot = project_snapshots + '/{snapshot_id}'
        purl = s.url('/v1/%s/snapshots' % PROJECT)
        found = self._check(project_snapshots, 'GET', self.request(
            'GET', purl, params={'limit': 1000, 'sort_keys': 'created_at',
                                 'sort_dir': 'asc', 'name': 'c'}), 200)
        self.assertIn(snapshot_id,
                      [x['id'] for x in found.json()['snapshots']])
        self._check(project_snapshots, 'GET', self.request(
            'GET', purl, params={'sort_keys': 'id'}), 400)
        self._check(project_snapshots, 'GET', self.request(
            'GET', purl, params={'marker': 'not-a-uuid'}), 400)
        self._check(project_snapshots, 'GET', self.request(
            'GET', purl, params={'status': 'DONE'}), 400)
        self._check(project_snapshots, 'GET', self.request(
            'GET', purl, headers=other), 403)
        shown = self._check(project_snapshot, 'GET', self.request(
            'GET', purl + '/' + snapshot_id), 200).json()['snapshot']
        self.assertEqual((mine['id'], False, None),
                         (shown['stack_id'], shown['stack_deleted'],
                          shown['policy_id']))
        self._check(project_snapshot, 'GET', self.request(
            'GET', purl + '/not-a-uuid'), 404)
        for accept in ('application/json', 'text/plain'):
            self._check(restore, 'POST', self.request(
                'POST', url + '/%s/restore' % snapshot_id,
                headers=dict(HEADERS, Accept=accept)), 202)
            s.wait(lambda: s._stack_settled(mine), 'restore done')
        self._check(restore, 'POST', self.request(
            'POST', url + '/nope/restore'), 404)
        # heat-snapshots' own: restore preview and clone.
        self._check(snapshot + '/restore_preview', 'POST', self.request(
            'POST', url + '/%s/restore_preview' % snapshot_id), 200)
        self._check(snapshot + '/restore_preview', 'POST', self.request(
            'POST', url + '/nope/restore_preview'), 404)
        cloned = self._check(snapshot + '/clone', 'POST', self.request(
            'POST', url + '/%s/clone' % snapshot_id, headers=JSON_HEADERS,
            json={'stack_name': name + '-clone'}), 201)
        clone = {'stack_name': name + '-clone',
                 'id': cloned.json()['stack']['id']}
        s.wait(lambda: s._stack_settled(clone), 'clone done')
        self._check(snapshot + '/clone', 'POST', self.request(
            'POST', url + '/%s/clone' % snapshot_id, headers=JSON_HEADERS,
            json={'stack_name': name}), 409)
        self._check(snapshot + '/clone', 'POST', self.request(
            'POST', url + '/%s/clone' % snapshot_id, headers=JSON_HEADERS,
            json={}), 400)
        # The project-wide clone, by the snapshot's id alone.
        project_clone = '/v1/{tenant_id}/snapshots/{snapshot_id}/clone'
        project_url = s.url('/v1/%s/snapshots' % PROJECT)
        cloned = self._check(project_clone, 'POST', self.request(
            'POST', project_url + '/%s/clone' % snapshot_id,
            headers=JSON_HEADERS, json={'stack_name': name + '-copy'}), 201)
        copy = {'stack_name': name + '-copy',
                'id': cloned.json()['stack']['id']}
        s.wait(lambda: s._stack_settled(copy), 'project clone done')
        self._check(project_clone, 'POST', self.request(
            'POST', project_url + '/%s/clone' % snapshot_id,
            headers=JSON_HEADERS, json={'stack_name': name}), 409)
        self._check(project_clone, 'POST', self.request(
            'POST', project_url + '/nope/clone', headers=JSON_HEADERS,
            json={'stack_name': name + '-nope'}), 404)
        self._check(project_clone, 'POST', self.request(
            'POST', project_url + '/%s/clone' % snapshot_id,
            headers=JSON_HEADERS, json={}), 400)

        # Cancel: nothing runs, then a snapshot of the clone stopped.
        self._check(snapshot + '/cancel', 'POST', self.request(
            'POST', url + '/%s/cancel' % snapshot_id), 409)
        self._check(snapshot + '/cancel', 'POST', self.request(
            'POST', url + '/nope/cancel'), 404)
        clone_url = s.stack_url(clone) + '/snapshots'
        started = self._check(snapshots, 'POST', self.request(
            'POST', clone_url, headers=JSON_HEADERS,
            json={'name': 'cancelled'}), 200).json()['id']
        # (Once: the walk may end at once, and a second would be a 409.)
        self._check(snapshot + '/cancel', 'POST', self.request(
            'POST', clone_url + '/%s/cancel' % started), 202)
        ended = s.wait(lambda: self._settled_snapshot(
            clone_url + '/' + started), 'snapshot cancelled')
        self.assertEqual(('FAILED', 'Cancelled by request'),
                         (ended['status'], ended['status_reason']))

        # Snapshot policies.
        policies = '/v1/{tenant_id}/snapshot_policies'
        policy = policies + '/{policy_id}'
        policies_url = s.url('/v1/%s/snapshot_policies' % PROJECT)
        definition = {'name': 'conformance',
                      'stacks': {'ids': [mine['id']]},
                      'schedule': {'cron': '0 0 29 2 *',
                                   'timezone': 'Europe/Paris'},
                      'retention': {'keep_last': 3}}
        self._check(policies, 'GET', self.request('GET', policies_url),
                    200)
        self._check(policies, 'GET', self.request(
            'GET', policies_url, headers=other), 403)
        made_policy = self._check(policies, 'POST', self.request(
            'POST', policies_url, headers=JSON_HEADERS,
            json={'policy': definition}), 201).json()['policy']
        for bad, status in (
                ({'policy': dict(definition, schedule={'cron': 'x'})}, 400),
                ({'policy': dict(definition, retention={'keep_last': -1})},
                 400),
                ({'policy': {'name': 'n'}}, 400),
                ({'policy': dict(definition, stacks={'ids': ['nope']})},
                 404)):
            self._check(policies, 'POST', self.request(
                'POST', policies_url, headers=JSON_HEADERS, json=bad),
                status)
        policy_url = policies_url + '/' + made_policy['id']
        self._check(policy, 'GET', self.request('GET', policy_url), 200)
        self._check(policy, 'GET', self.request(
            'GET', policies_url + '/nope'), 404)
        changed = self._check(policy, 'PATCH', self.request(
            'PATCH', policy_url, headers=JSON_HEADERS,
            json={'policy': {'enabled': False}}), 200).json()['policy']
        self.assertEqual((False, []),
                         (changed['enabled'], changed['next_runs']))
        self._check(policy, 'PATCH', self.request(
            'PATCH', policy_url, headers=JSON_HEADERS,
            json={'policy': {}}), 400)
        self._check(policy + '/prune_preview', 'GET', self.request(
            'GET', policy_url + '/prune_preview'), 200)
        run = self._check(policy + '/run', 'POST', self.request(
            'POST', policy_url + '/run'), 202).json()['run']
        self._check(policy + '/run', 'POST', self.request(
            'POST', policies_url + '/nope/run'), 404)
        runs_url = policy_url + '/runs'
        ran = s.wait(lambda: self._ended_run(runs_url, run['id']),
                     'policy run')
        self.assertEqual('COMPLETE', ran['status'], ran)
        s.wait(lambda: s._stack_settled(mine), 'policy snapshot done')
        self._check(policy + '/runs', 'GET', self.request(
            'GET', runs_url, params={'limit': 1}), 200)
        self._check(policy + '/runs', 'GET', self.request(
            'GET', runs_url, params={'limit': 'x'}), 400)
        # An age older than the calendar (the schema takes any integer)
        # keeps every snapshot; it was a 500.
        self._check(policy, 'PATCH', self.request(
            'PATCH', policy_url, headers=JSON_HEADERS,
            json={'policy': {'retention': {'keep_last': 1,
                                           'max_age': 99999999999}}}), 200)
        preview = self._check(policy + '/prune_preview', 'GET', self.request(
            'GET', policy_url + '/prune_preview'), 200).json()
        self.assertEqual([{'stack_id': mine['id'], 'snapshots': []}],
                         preview['prune_preview'])
        # The policy's snapshot, as the project sees it, then deleted.
        by_policy = self._check(project_snapshot, 'GET', self.request(
            'GET', purl + '/' + ran['snapshots'][0]), 200).json()['snapshot']
        self.assertEqual(made_policy['id'], by_policy['policy_id'])
        self._check(project_snapshot, 'DELETE', self.request(
            'DELETE', purl + '/' + by_policy['id']), 204)
        s.wait(lambda: self.request('GET', purl + '/' + by_policy['id'])
               .status_code == 404, 'project snapshot deleted')
        self._check(project_snapshot, 'DELETE', self.request(
            'DELETE', purl + '/' + by_policy['id']), 404)
        self._check(policy, 'DELETE', self.request('DELETE', policy_url),
                    204)
        self._check(policy, 'DELETE', self.request('DELETE', policy_url),
                    404)
        self._check(snapshot, 'DELETE', self.request(
            'DELETE', url + '/' + snapshot_id), 204)
        s.wait(lambda: self.request('GET', url + '/' + snapshot_id)
               .status_code == 404, 'snapshot deleted')
        self._check(snapshot, 'DELETE', self.request(
            'DELETE', url + '/' + snapshot_id), 404)

        # Update, patch and delete the stack.
        self._check(stack, 'PUT', self.request(
            'PUT', s.stack_url(mine), headers=JSON_HEADERS,
            json={'template': live_service.TEMPLATE}), 202)
        s.wait(lambda: s._stack_settled(mine), 'update done')
        self._check(stack, 'PATCH', self.request(
            'PATCH', s.stack_url(mine), headers=JSON_HEADERS,
            json={'parameters': {}}), 202)
        s.wait(lambda: s._stack_settled(mine), 'patch done')
        self._check(stack, 'PUT', self.request(
            'PUT', s.stack_url(mine), headers=JSON_HEADERS,
            data=b'{"template": 5}'), 400)
        self._check(stack, 'DELETE', self.request(
            'DELETE', s.stack_url(mine), headers=other), 403)
        self._check(stack, 'DELETE', self.request(
            'DELETE', s.stack_url(mine)), 204)


class PropertyBasedTest(SchemaTest):
    """schemathesis against every operation of the document."""

    def _strategies(self, operation, seeded):
        """The cases of an operation: as generated, and with real ids."""
        modes = [schemathesis.GenerationMode.POSITIVE,
                 schemathesis.GenerationMode.NEGATIVE]
        names = {p.get('name') for p in operation.definition.raw.get(
            'parameters', []) if 'name' in p}
        names |= {p.get('name') for p in self.spec['paths'][
            operation.path].get('parameters', []) if 'name' in p}
        real = {}
        if 'tenant_id' in {parse.unquote(n) for n in names} or \
                '{tenant_id}' in operation.path:
            real['tenant_id'] = PROJECT
        if '{stack_name}' in operation.path:
            real['stack_name'] = seeded.stack['stack_name']
        if '{stack_id}' in operation.path:
            real['stack_id'] = seeded.stack['id']
        if '{snapshot_id}' in operation.path:
            real['snapshot_id'] = seeded.snapshot_id
        if '{policy_id}' in operation.path:
            real['policy_id'] = seeded.policy_id
        options = []
        for mode in modes:
            options.append(('generated', operation.as_strategy(
                generation_mode=mode)))
        if real:
            options.append(('right tenant', operation.as_strategy(
                generation_mode=schemathesis.GenerationMode.POSITIVE,
                path_parameters={'tenant_id': PROJECT},
                headers={'X-Auth-Project': PROJECT})))
            for mode in modes:
                for roles in ('member', 'admin'):
                    options.append(('seeded ids', operation.as_strategy(
                        generation_mode=mode, path_parameters=real,
                        headers={'X-Auth-Project': PROJECT,
                                 'X-Roles': roles})))
        return strategies.one_of([strategies.tuples(strategies.just(label),
                                                    strategy)
                                  for label, strategy in options])

    def test_generated_requests(self):
        # A stack and snapshot of its own: the run deletes them.
        seeded = live_service.Service(self.service.endpoint)
        seeded.stack = seeded.create_stack('fuzz-seed')
        seeded.snapshot_id = seeded.create_snapshot(seeded.stack)
        # A policy of that stack, due at no time the run could meet.
        created = requests.post(
            seeded.url('/v1/%s/snapshot_policies' % PROJECT),
            headers=JSON_HEADERS, timeout=TIMEOUT, json={'policy': {
                'name': 'fuzz-seed', 'stacks': {'ids': [seeded.stack['id']]},
                'schedule': {'cron': '0 0 29 2 *'}}})
        self.assertEqual(201, created.status_code, created.text)
        seeded.policy_id = created.json()['policy']['id']
        schema = self.schema
        checks = schemathesis_checks()
        operations = {}
        for result in schema.get_all_operations():
            operation = result.ok()
            operations[operation.definition.raw['operationId']] = operation
        self.assertEqual(sorted(OPERATION_ORDER), sorted(operations))

        stats = collections.OrderedDict()
        statuses = collections.Counter()
        failures = []
        session = requests.Session()
        started = time.monotonic()
        totals = collections.Counter()

        for name in OPERATION_ORDER:
            operation = operations[name]
            counts = stats[name] = collections.Counter()

            @hypothesis.settings(
                max_examples=MAX_EXAMPLES, deadline=None, database=None,
                derandomize=False, phases=[hypothesis.Phase.explicit,
                                           hypothesis.Phase.generate],
                suppress_health_check=list(hypothesis.HealthCheck))
            @hypothesis.given(drawn=self._strategies(operation, seeded))
            def run(drawn):
                label, case = drawn
                if time.monotonic() - started > RUN_BUDGET:
                    counts['not run (budget spent)'] += 1
                    return
                try:
                    response = case.call(base_url=seeded.endpoint,
                                         session=session, timeout=TIMEOUT,
                                         allow_redirects=False)
                except requests.ConnectionError as error:
                    failures.append('%s: connection failed: %s'
                                    % (name, error))
                    counts['connection failed'] += 1
                    return
                except (requests.RequestException, ValueError,
                        UnicodeError):
                    # Nothing a client library would send.
                    counts['not sendable'] += 1
                    return
                counts['cases'] += 1
                counts[label] += 1
                status = response.status_code
                statuses[status] += 1
                counts[str(status)] += 1
                if status >= 500:
                    counts['5xx'] += 1
                problems = []
                if status >= 400:
                    problems += base.heat_error_problems(response)
                try:
                    case.validate_response(response, checks=checks)
                except Exception as error:
                    problems.append(str(error)[:1500])
                if problems and len(failures) < 30:
                    failures.append('%s %s %s -> %s %r:\n  %s' % (
                        name, case.method, response.request.url[:300],
                        status, response.content[:300],
                        '\n  '.join(problems)))
                elif problems:
                    failures.append(None)

            run()
            totals.update({k: v for k, v in counts.items()})

        elapsed = time.monotonic() - started
        lines = ['schemathesis %s, hypothesis %s: %d cases in %.1f s, '
                 '%d answers 5xx, %d not conforming'
                 % (schemathesis.__version__, hypothesis.__version__,
                    totals['cases'], elapsed, totals['5xx'],
                    len(failures)),
                 'statuses: %s' % ', '.join(
                     '%s x%d' % (k, v) for k, v in sorted(statuses.items()))]
        for name, counts in stats.items():
            lines.append('  %-24s %4d cases (%d with seeded ids), 5xx: %d, '
                         '%s' % (name, counts['cases'],
                                 counts['seeded ids'], counts['5xx'],
                                 ' '.join('%s:%d' % (k, v) for k, v in
                                          sorted(counts.items())
                                          if k.isdigit())))
        summary = '\n'.join(lines)
        print(summary, file=sys.stderr)
        self.addDetail('schemathesis-summary', content.text_content(summary))
        shown = [f for f in failures if f]
        self.assertEqual(0, totals['5xx'], summary + '\n' + '\n'.join(shown))
        self.assertEqual([], shown, summary)
        self.assertEqual(0, len(failures), summary)
        self.assertGreater(totals['cases'], 100, summary)
        seeded_ops = [n for n, c in stats.items() if c['seeded ids']]
        self.assertGreaterEqual(len(seeded_ops), 10, summary)
        self.assertAlive()
