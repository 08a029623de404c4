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

"""Bad input against a running service: never a 5xx, always Heat's body.

Three parts, all against a heat-snapshots-all of their own
(live_service.py):

* ``OpenAPIConformanceTest``: every operation of
  api-ref/source/openapi.yaml, called with good and bad input, answers
  a status the document lists, with the headers and body it documents.
* ``PropertyBasedTest``: schemathesis generates valid and invalid requests
  for every operation of the document (and hypothesis picks the seeded
  stack and snapshot for some of them); no answer may be a 5xx, every 4xx
  carries Heat's fault body, every answer conforms to the document. The
  figures (cases, statuses, 5xx) are printed and attached to the test.
* ``ExplicitBadInputTest``: hand-written requests (raw sockets where
  requests would clean them up): malformed ids, path traversal, huge and
  non-ASCII names, SQL metacharacters, wrong content types, odd JSON,
  oversized bodies and headers, aborted and slow requests, invalid
  methods. The service answers each with a 4xx and Heat's body (or a
  documented success) and keeps serving.
"""

import collections
import json
import os
import re
import socket
import sys
import threading
import time
from urllib import parse

import jsonschema
from oslotest import base as oslotest_base
import requests
from testtools import content
import yaml

import heat_snapshots
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

# With the API reference, in the source tree: not part of the package.
OPENAPI_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(heat_snapshots.__file__))),
    'api-ref', 'source', 'openapi.yaml')
PROJECT = live_service.PROJECT
HEADERS = live_service.HEADERS
JSON_HEADERS = live_service.JSON_HEADERS
ADMIN_JSON_HEADERS = dict(JSON_HEADERS, **{'X-Roles': 'admin'})
REQUEST_ID = re.compile(r'^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
                        r'[0-9a-f]{4}-[0-9a-f]{12}$')
ERROR_KEYS = ['code', 'title', 'explanation', 'error']
TIMEOUT = 30
# oslo.middleware's default [oslo_middleware] max_request_body_size.
MAX_BODY = 114688
MEGABYTE = 1024 * 1024

# The property-based run: examples per operation and generation mode.
MAX_EXAMPLES = int(os.environ.get('HS_BAD_INPUT_MAX_EXAMPLES', '60'))
# Generation stops at this many seconds whatever is left.
RUN_BUDGET = float(os.environ.get('HS_BAD_INPUT_BUDGET', '110'))

# Destructive operations last, so that the others meet the seeded stack
# and snapshot as they were.
OPERATION_ORDER = [
    'listVersions', 'listStacks', 'findStack', 'showStack', 'getTemplate',
    'listResources', 'listSnapshots', 'showSnapshot', 'createStack',
    'createSnapshot', 'restoreSnapshot', 'updateStack', 'patchStack',
    'deleteSnapshot', 'deleteStack',
]


def load_openapi():
    with open(OPENAPI_PATH) as f:
        return yaml.safe_load(f)


def _schema_validator(spec, schema):
    # Response schemas refer to #/components/...: validate them as part
    # of a document that carries the components.
    return jsonschema.Draft202012Validator(
        dict(schema, components=spec['components']))


def _resolve(spec, item):
    while '$ref' in item:
        node = spec
        for part in item['$ref'].lstrip('#/').split('/'):
            node = node[part]
        item = node
    return item


def conformance_problems(spec, path, method, response):
    """What in ``response`` the OpenAPI document does not allow.

    :param path: the path template, as the document names it.
    """
    operation = spec['paths'][path][method.lower()]
    documented = operation['responses']
    status = str(response.status_code)
    if status not in documented:
        return ['status %s not documented for %s %s (documented: %s)'
                % (status, method, path, ', '.join(sorted(documented)))]
    answer = _resolve(spec, documented[status])
    problems = []
    for name, header in answer.get('headers', {}).items():
        header = _resolve(spec, header)
        value = response.headers.get(name)
        if value is None:
            if header.get('required'):
                problems.append('header %s missing' % name)
            continue
        pattern = header.get('schema', {}).get('pattern')
        if pattern and not re.search(pattern, value):
            problems.append('header %s=%r does not match %s'
                            % (name, value, pattern))
    media = answer.get('content')
    if not media:
        if response.content:
            problems.append('a body where none is documented: %r'
                            % response.content[:200])
        return problems
    content_type = response.headers.get('Content-Type', '')
    content_type = content_type.split(';')[0].strip()
    if content_type not in media:
        return problems + ['Content-Type %r not documented (%s)'
                           % (content_type, ', '.join(media))]
    if content_type == 'application/json':
        try:
            body = response.json()
        except ValueError as error:
            return problems + ['body is not JSON: %s' % error]
        validator = _schema_validator(spec, media[content_type]['schema'])
        for error in validator.iter_errors(body):
            problems.append('body: %s at %s' % (
                error.message[:300], '/'.join(
                    str(p) for p in error.absolute_path)))
    return problems


def _header(response, name):
    """A header of a requests, raw or schemathesis response."""
    value = response.headers.get(name)
    if value is None:
        value = response.headers.get(name.lower())
    if isinstance(value, list):
        value = value[0] if value else None
    return value if value is not None else ''


def heat_error_problems(response):
    """What makes ``response`` not one of Heat's error answers."""
    problems = []
    if response.status_code >= 500:
        problems.append('server error %s' % response.status_code)
    content_type = _header(response, 'Content-Type')
    if content_type.split(';')[0].strip() != 'application/json':
        return problems + ['error Content-Type %r, body %r'
                           % (content_type, response.content[:200])]
    try:
        body = response.json()
    except ValueError:
        return problems + ['error body not JSON: %r'
                           % response.content[:200]]
    if not isinstance(body, dict) or list(body) != ERROR_KEYS:
        return problems + ['error body keys: %r' % (body,)]
    if body['code'] != response.status_code:
        problems.append('code %r != status %s'
                        % (body['code'], response.status_code))
    error = body['error']
    if not isinstance(error, dict) or not isinstance(error.get('type'),
                                                     str):
        problems.append('error.type missing: %r' % (error,))
    elif error.get('traceback') is not None:
        problems.append('a traceback: %r' % (error,))
    if not REQUEST_ID.match(_header(response, 'X-OpenStack-Request-Id')):
        problems.append('no X-OpenStack-Request-Id')
    return problems


class RawResponse:
    """An HTTP answer read off a socket, with requests' attribute names."""

    def __init__(self, raw):
        self.raw = raw
        head, _sep, self.content = raw.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        self.status_line = lines[0]
        parts = lines[0].split(' ', 2)
        self.status_code = int(parts[1]) if len(parts) > 1 and \
            parts[1].isdigit() else 0
        self.headers = requests.structures.CaseInsensitiveDict()
        for line in lines[1:]:
            name, _sep, value = line.partition(':')
            self.headers[name.strip()] = value.strip()
        length = self.headers.get('Content-Length')
        if length is not None and length.isdigit():
            self.content = self.content[:int(length)]

    def json(self):
        return json.loads(self.content)

    @property
    def text(self):
        return self.content.decode('utf-8', 'replace')


def raw_request(port, data, shutdown=False, timeout=TIMEOUT, pause=None):
    """Send ``data`` (bytes, or a list of chunks) and read the answer.

    :param shutdown: half-close after sending, as a client that sent all
        it will.
    :param pause: seconds between chunks.
    :returns: RawResponse; status_code 0 if the server closed without one.
    """
    with socket.create_connection(('127.0.0.1', port),
                                  timeout=timeout) as sock:
        chunks = data if isinstance(data, list) else [data]
        try:
            for chunk in chunks:
                sock.sendall(chunk)
                if pause:
                    time.sleep(pause)
            if shutdown:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered and closed before reading everything.
            pass
        received = b''
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
            response = RawResponse(received)
            length = response.headers.get('Content-Length')
            if length is not None and length.isdigit() and \
                    len(response.content) >= int(length) and \
                    b'\r\n\r\n' in received:
                break
    return RawResponse(received)


def http_bytes(method, path, headers=None, body=b'', version='HTTP/1.1'):
    """A request as bytes; ``path`` bytes are sent as they are."""
    if isinstance(path, str):
        path = path.encode('latin-1')
    lines = [method.encode('latin-1') + b' ' + path + b' ' +
             version.encode('latin-1'), b'Host: 127.0.0.1',
             b'Connection: close']
    for name, value in (headers or {}).items():
        if isinstance(value, str):
            value = value.encode('latin-1')
        lines.append(name.encode('latin-1') + b': ' + value)
    return b'\r\n'.join(lines) + b'\r\n\r\n' + body


class LiveServiceTest(oslotest_base.BaseTestCase):
    """A test against this process's own service (live_service.py)."""

    def setUp(self):
        super().setUp()
        try:
            self.service = live_service.get()
        except Exception as error:
            self.fail('the service did not start: %s' % error)
        self.port = self.service.port
        self.spec = load_openapi()

    def url(self, path):
        return self.service.url(path)

    def request(self, method, url, headers=HEADERS, **kwargs):
        kwargs.setdefault('timeout', TIMEOUT)
        kwargs.setdefault('allow_redirects', False)
        return requests.request(method, url, headers=headers, **kwargs)

    def assertHeatError(self, response, status=None, error_type=None):
        """A 4xx with Heat's fault body."""
        label = '%s %r' % (response.status_code, response.content[:300])
        if status is not None:
            statuses = status if isinstance(status, tuple) else (status,)
            self.assertIn(response.status_code, statuses, label)
        self.assertGreaterEqual(response.status_code, 400, label)
        self.assertLess(response.status_code, 500, label)
        self.assertEqual([], heat_error_problems(response), label)
        if error_type is not None:
            self.assertEqual(error_type, response.json()['error']['type'],
                             label)
        return response.json() if hasattr(response, 'json') else None

    def assertAlive(self):
        """GET / still answers, quickly."""
        response = requests.get(self.url('/'), timeout=10)
        self.assertEqual(300, response.status_code, response.text)

    def assertNo5xx(self, response):
        self.assertLess(response.status_code, 500,
                        '%s %r' % (response.status_code,
                                   response.content[:300]))


class OpenAPIConformanceTest(LiveServiceTest):
    """Every documented operation answers as the document says."""

    def _check(self, path, method, response, expected=None):
        if expected is not None:
            self.assertEqual(expected, response.status_code,
                             '%s %s: %s' % (method, path, response.text))
        self.assertEqual([], conformance_problems(self.spec, path, method,
                                                  response),
                         '%s %s -> %s %r' % (method, path,
                                             response.status_code,
                                             response.content[:500]))
        return response

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
            data=b'{"stack_name": "' + b'x' * MAX_BODY + b'"}'), 413)
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
        for accept in ('application/json', 'text/plain'):
            self._check(restore, 'POST', self.request(
                'POST', url + '/%s/restore' % snapshot_id,
                headers=dict(HEADERS, Accept=accept)), 202)
            s.wait(lambda: s._stack_settled(mine), 'restore done')
        self._check(restore, 'POST', self.request(
            'POST', url + '/nope/restore'), 404)
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


class PropertyBasedTest(LiveServiceTest):
    """schemathesis against every operation of the document."""

    def setUp(self):
        if schemathesis is None:
            if config.in_ci():
                self.fail('schemathesis is needed (CI=true): %s'
                          % SCHEMATHESIS_MISSING)
            self.skipTest('schemathesis is not installed (%s); pip install '
                          '-r test-requirements.txt' % SCHEMATHESIS_MISSING)
        super().setUp()

    def _strategies(self, operation, seeded):
        """The cases of an operation: as generated, and with real ids."""
        modes = [schemathesis.GenerationMode.POSITIVE,
                 schemathesis.GenerationMode.NEGATIVE]
        names = {p['name'] for p in operation.definition.raw.get(
            'parameters', [])}
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
        schema = schemathesis.openapi.from_dict(self.spec)
        checks = [st_checks.not_a_server_error,
                  st_openapi_checks.status_code_conformance,
                  st_openapi_checks.content_type_conformance,
                  st_openapi_checks.response_headers_conformance,
                  st_openapi_checks.response_schema_conformance]
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
                    problems += heat_error_problems(response)
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
            lines.append('  %-16s %4d cases (%d with seeded ids), 5xx: %d, '
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


class ExplicitBadInputTest(LiveServiceTest):
    """Hand-written bad requests; each a clean 4xx, the service stays."""

    def tearDown(self):
        # Whatever the test sent, the service answers afterwards.
        self.assertAlive()
        super().tearDown()

    def snapshots_url(self, stack=None):
        return self.service.stack_url(stack) + '/snapshots'

    def own_stack(self, name):
        return self.service.create_stack(name)

    def snapshot_named(self, stack, raw_body):
        """POST a snapshot (as admin: no limit), wait, return it or error."""
        response = self.request('POST', self.snapshots_url(stack),
                                headers=ADMIN_JSON_HEADERS, data=raw_body)
        if response.status_code == 200:
            snapshot_id = response.json()['id']
            self.service.wait(
                lambda: self.service._stack_settled(stack), 'snapshot')
        else:
            return response, None
        shown = self.request('GET', self.snapshots_url(stack) + '/' +
                             snapshot_id, headers=ADMIN_JSON_HEADERS)
        self.assertEqual(200, shown.status_code, shown.text)
        self.request('DELETE', self.snapshots_url(stack) + '/' +
                     snapshot_id, headers=ADMIN_JSON_HEADERS)
        return response, shown.json()['snapshot']

    # --- ids and paths ------------------------------------------------------

    def test_non_uuid_ids(self):
        s = self.service
        for snapshot_id in ('not-a-uuid', '0', '-1', 'x' * 300,
                            s.snapshot_id.upper(), s.snapshot_id + 'x',
                            '%00', '%20', 'null', '__class__', '..'):
            for method in ('GET', 'DELETE'):
                self.assertHeatError(self.request(
                    method, self.snapshots_url() + '/' + snapshot_id),
                    (404, 400))
            self.assertHeatError(self.request(
                'POST', self.snapshots_url() + '/%s/restore' % snapshot_id),
                (404, 400))
        for stack_id in ('not-a-uuid', '0', s.stack['id'][:-1],
                         '__init__', 'snapshots'):
            self.assertHeatError(self.request(
                'GET', s.stacks_url() + '/%s/%s/snapshots'
                % (s.stack['stack_name'], stack_id)), 404,
                'EntityNotFound')

    def test_path_traversal(self):
        s = self.service
        base = '/v1/%s/stacks/%s/%s' % (PROJECT, s.stack['stack_name'],
                                        s.stack['id'])
        paths = [
            base + '/snapshots/../../../../etc/passwd',
            base + '/snapshots/..%2F..%2F..%2Fetc%2Fpasswd',
            base + '/snapshots/%2e%2e%2f%2e%2e%2f',
            base + '/snapshots/%252e%252e%252f',
            base + '/snapshots/..\\..\\windows',
            '/v1/%s/stacks/..%%2F..%%2F..' % PROJECT,
            '/v1/%s/stacks/%%2e%%2e/%%2e%%2e/snapshots' % PROJECT,
            '/v1/%s/stacks/a%%2Fb/%s/snapshots' % (PROJECT, s.stack['id']),
            '/v1/../v1/%s/stacks' % PROJECT,
            '/v1/%2e%2e/etc/passwd',
            '/../../../../etc/passwd',
            '//v1//%s//stacks' % PROJECT,
            base + '/snapshots/' + s.snapshot_id + '/restore/../../x',
        ]
        for path in paths:
            for method in ('GET', 'DELETE', 'POST'):
                response = raw_request(self.port, http_bytes(
                    method, path, dict(HEADERS, **{'Content-Length': '0'})))
                self.assertNo5xx(response)
                self.assertNotIn(b'root:', response.content)
                if response.status_code >= 400:
                    self.assertHeatError(response)
                else:
                    # GET /v1/../v1/<t>/stacks: the path the server read.
                    self.assertIn(response.status_code, (200, 300, 302),
                                  path)

    def test_huge_names(self):
        s = self.service
        huge = 'x' * MEGABYTE
        # In the URL: beyond the request line limit (Heat's eventlet has
        # one too).
        self.assertHeatError(self.request(
            'GET', s.stacks_url() + '/' + huge), 414)
        self.assertHeatError(self.request(
            'GET', self.snapshots_url() + '/' + huge), 414)
        # In bodies: beyond max_request_body_size.
        self.assertHeatError(self.request(
            'POST', self.snapshots_url(), headers=JSON_HEADERS,
            json={'name': huge}), 413, 'HTTPRequestEntityTooLarge')
        self.assertHeatError(self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS,
            json={'stack_name': huge, 'template': live_service.TEMPLATE}),
            413)
        # Under the body limit but over the column: a 400, not a DB error.
        self.assertHeatError(self.request(
            'POST', self.snapshots_url(), headers=JSON_HEADERS,
            json={'name': 'x' * 100000}), 400, 'HTTPBadRequest')
        self.assertHeatError(self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS,
            json={'stack_name': 'x' * 100000,
                  'template': live_service.TEMPLATE}), 400)
        # Long but legal in a URL.
        self.assertHeatError(self.request(
            'GET', s.stacks_url() + '/' + 'y' * 8000), 404,
            'EntityNotFound')

    def test_non_ascii_names(self):
        stack = self.own_stack('non-ascii')
        names = ['\U0001F4F8 snap \U0001F600', '\u0644\u0642\u0637\u0629',
                 'a\u202eb\u200f', '\u00e9\u00e8\u4e2d\u6587', 'a\u0000b']
        for name in names:
            response, shown = self.snapshot_named(
                stack, json.dumps({'name': name}).encode('utf-8'))
            if shown is None:
                # NUL: stored by SQLite and MariaDB, refused by others.
                self.assertHeatError(response, 400)
            else:
                self.assertEqual(name, shown['name'])
        # Raw UTF-8 in the body, not \\u escapes.
        response, shown = self.snapshot_named(
            stack, '{"name": "\U0001F4F8\u0644"}'.encode('utf-8'))
        self.assertEqual('\U0001F4F8\u0644', shown['name'])
        # Invalid UTF-8, lone surrogates: 400.
        for body in (b'{"name": "\xff\xfe"}', b'{"name": "\xc3\x28"}',
                     b'{"name": "\xed\xa0\x80"}', b'\xef\xbb\xbf{}\xff',
                     b'{"name": "\\ud83d"}', b'{"\\udc00": 1}'):
            self.assertHeatError(self.request(
                'POST', self.snapshots_url(stack), headers=JSON_HEADERS,
                data=body), 400, 'HTTPBadRequest')
        self.assertHeatError(self.request(
            'POST', self.service.stacks_url(), headers=JSON_HEADERS,
            data=b'{"stack_name": "ok", "template": {"x": "\\udfff"}}'),
            400)
        # Stack names: Heat's pattern, and non-ASCII lookups.
        for name in ('\U0001F4F8', '\u0644\u0642', 'a\u0000b', 'a/b'):
            self.assertHeatError(self.request(
                'POST', self.service.stacks_url(), headers=JSON_HEADERS,
                json={'stack_name': name,
                      'template': live_service.TEMPLATE}), 400)
        for segment in ('%F0%9F%93%B8', '%D9%84', '%E2%80%AE', '%00',
                        'a%00b'):
            self.assertHeatError(self.request(
                'GET', self.service.stacks_url() + '/' + segment), 404,
                'EntityNotFound')
        for segment in ('%FF', '%C3%28', '%ED%A0%80'):
            self.assertHeatError(self.request(
                'GET', self.service.stacks_url() + '/' + segment), 400)
        # Raw bytes in the request line.
        for path in (b'/v1/%s/stacks/\xff\xfe' % PROJECT.encode(),
                     b'/v1/%s/stacks/\xf0\x9f\x93\xb8' % PROJECT.encode()):
            self.assertHeatError(raw_request(
                self.port, http_bytes('GET', path, HEADERS)), (400, 404))

    def test_sql_metacharacters(self):
        s = self.service
        evil = ["' OR 1=1 --", '1; DROP TABLE hs_snapshots; --',
                '" OR ""="', "') OR ('1'='1", '%', '_', '*', '\\',
                "'; DELETE FROM hs_stacks WHERE '1'='1"]
        for value in evil:
            quoted = parse.quote(value, safe='')
            self.assertHeatError(self.request(
                'GET', s.stacks_url() + '/' + quoted), 404)
            self.assertHeatError(self.request(
                'GET', self.snapshots_url() + '/' + quoted), 404)
            self.assertHeatError(self.request(
                'GET', '%s/%s/%s/snapshots' % (
                    s.stacks_url(), quoted, s.stack['id'])), 404)
            self.assertHeatError(self.request(
                'GET', '%s/%s/%s/snapshots' % (
                    s.stacks_url(), s.stack['stack_name'], quoted)), 404)
            listed = self.request('GET', s.stacks_url(),
                                  params={'name': value, 'id': value,
                                          'status': value})
            self.assertEqual(200, listed.status_code, listed.text)
            self.assertEqual([], listed.json()['stacks'])
            self.assertHeatError(self.request(
                'POST', s.stacks_url(), headers=JSON_HEADERS,
                json={'stack_name': value,
                      'template': live_service.TEMPLATE}), 400)
        stack = self.own_stack('sql-names')
        for value in evil[:3]:
            _response, shown = self.snapshot_named(
                stack, json.dumps({'name': value}).encode())
            self.assertEqual(value, shown['name'])
        # The tables are all there.
        shown = self.request('GET', self.snapshots_url() + '/' +
                             s.snapshot_id)
        self.assertEqual(200, shown.status_code, shown.text)
        self.assertEqual('COMPLETE', shown.json()['snapshot']['status'])

    # --- bodies -------------------------------------------------------------

    def test_wrong_content_types(self):
        s = self.service
        url = self.snapshots_url()
        for content_type, body in (
                ('application/x-www-form-urlencoded', b'name=x'),
                ('multipart/form-data; boundary=zz',
                 b'--zz\r\nContent-Disposition: form-data; name="name"'
                 b'\r\n\r\nx\r\n--zz--\r\n'),
                ('application/xml', b'<snapshot><name>x</name></snapshot>'),
                ('text/html', b'<html></html>'),
                ('application/json', b'<snapshot/>'),
                ('application/json; charset=latin-1', b'\xe9'),
                ('image/png', b'\x89PNG\r\n\x1a\n\x00\x00'),
                ('', b'name=x'),
                ('application/json', b'name=x')):
            headers = dict(HEADERS)
            if content_type:
                headers['Content-Type'] = content_type
            self.assertHeatError(self.request(
                'POST', url, headers=headers, data=body), 400,
                'HTTPBadRequest')
            self.assertHeatError(self.request(
                'POST', s.stacks_url(), headers=headers, data=body), 400)
        # A JSON body is JSON whatever the Content-Type says (as Heat).
        for index, content_type in enumerate((None, 'text/plain',
                                              'application/xml')):
            headers = dict(HEADERS)
            if content_type:
                headers['Content-Type'] = content_type
            response = self.request('POST', s.stacks_url(), headers=headers,
                                    data=json.dumps({
                                        'stack_name': 'ct%d' % index,
                                        'template': live_service.TEMPLATE}))
            self.assertEqual(201, response.status_code, response.text)

    def test_empty_and_odd_json(self):
        s = self.service
        url = self.snapshots_url()
        for body in (b'', b' ', b'null', b'[]', b'"x"', b'1', b'true',
                     b'{', b'{"name": }', b'{"name": "x",}', b"{'name': 1}",
                     b'{"name": {"a": 1}}', b'{"name": ["x"]}',
                     b'\x00', b'{"name": "x"}garbage'):
            self.assertHeatError(self.request(
                'POST', url, headers=JSON_HEADERS, data=body), 400,
                'HTTPBadRequest')
        for body in (b'', b'{}', b'[]', b'{"stack_name": null}',
                     b'{"stack_name": "ok"}', b'{"template": {}}'):
            self.assertHeatError(self.request(
                'POST', s.stacks_url(), headers=JSON_HEADERS, data=body),
                400)
            self.assertHeatError(self.request(
                'PUT', s.stack_url(), headers=JSON_HEADERS, data=body),
                (400, 409))
        stack = self.own_stack('odd-json')
        # {}: a snapshot with no name, as Heat.
        _response, shown = self.snapshot_named(stack, b'{}')
        self.assertIsNone(shown['name'])
        # Duplicate keys: the last one wins, as in Heat's json.loads.
        _response, shown = self.snapshot_named(
            stack, b'{"name": "first", "name": "second"}')
        self.assertEqual('second', shown['name'])
        # Unknown keys are ignored.
        _response, shown = self.snapshot_named(
            stack, b'{"name": "k", "extra": {"a": [1, 2]}}')
        self.assertEqual('k', shown['name'])

    def test_deeply_nested_json(self):
        s = self.service
        deep = 10000
        bodies = [b'[' * deep + b']' * deep,
                  b'{"a":' * deep + b'1' + b'}' * deep,
                  b'{"name": "x", "extra": ' + b'[' * deep + b']' * deep +
                  b'}',
                  b'{"name": "x", "extra": ' + b'[' * 150 + b']' * 150 +
                  b'}']
        for body in bodies:
            self.assertHeatError(self.request(
                'POST', self.snapshots_url(), headers=JSON_HEADERS,
                data=body), 400, 'HTTPBadRequest')
            self.assertHeatError(self.request(
                'POST', s.stacks_url(), headers=JSON_HEADERS, data=body),
                400)
            self.assertHeatError(self.request(
                'PATCH', s.stack_url(), headers=JSON_HEADERS, data=body),
                400)
        nested = json.loads('[' * 500 + ']' * 500)
        template = {'heat_template_version': live_service.HOT_VERSION,
                    'resources': {'v': {'type': 'OS::Heat::Value',
                                        'properties': {'value': nested}}}}
        self.assertHeatError(self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS,
            json={'stack_name': 'deep', 'template': template}), 400)
        # The same nesting in a YAML or JSON template string.
        for text in ('[' * deep + ']' * deep, '{a: ' * deep + '1' +
                     '}' * deep, 'a: ' + '[' * 5000):
            self.assertHeatError(self.request(
                'POST', s.stacks_url(), headers=JSON_HEADERS,
                json={'stack_name': 'deep', 'template': text}), 400)

    def test_huge_bodies(self):
        s = self.service
        big = b'{"name": "' + b'x' * (MAX_BODY + 1) + b'"}'
        self.assertHeatError(self.request(
            'POST', self.snapshots_url(), headers=JSON_HEADERS, data=big),
            413, 'HTTPRequestEntityTooLarge')
        self.assertHeatError(self.request(
            'PUT', s.stack_url(), headers=JSON_HEADERS,
            data=b' ' * (8 * MEGABYTE)), 413)
        # Chunked, with no Content-Length: counted as it is read.

        def chunks():
            for _n in range(40):
                yield b' ' * 65536
        self.assertHeatError(self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS, data=chunks()),
            413)
        # A huge declared length, nothing sent.
        response = raw_request(self.port, http_bytes(
            'POST', '/v1/%s/stacks' % PROJECT,
            dict(JSON_HEADERS, **{'Content-Length': str(10 ** 12)})))
        self.assertHeatError(response, 413)

    def test_malformed_framing(self):
        path = '/v1/%s/stacks' % PROJECT
        cases = [
            # Bad chunk sizes and chunk data.
            (dict(JSON_HEADERS, **{'Transfer-Encoding': 'chunked'}),
             b'zz\r\n{}\r\n0\r\n\r\n'),
            (dict(JSON_HEADERS, **{'Transfer-Encoding': 'chunked'}),
             b'2\r\n{}}}}}\r\n0\r\n\r\n'),
            (dict(JSON_HEADERS, **{'Content-Length': 'abc'}), b'{}'),
            (dict(JSON_HEADERS, **{'Content-Length': '-5'}), b'{}'),
        ]
        for headers, body in cases:
            response = raw_request(self.port, http_bytes('POST', path,
                                                         headers, body),
                                   shutdown=True)
            self.assertHeatError(response, 400)

    def test_aborted_request(self):
        """Less body than Content-Length, then the client goes."""
        path = '/v1/%s/stacks' % PROJECT
        request = http_bytes('POST', path, dict(JSON_HEADERS, **{
            'Content-Length': '1000'}), b'{"stack_name": "ab')
        # The client closes its side and waits: a 400, promptly.
        started = time.monotonic()
        response = raw_request(self.port, request, shutdown=True,
                               timeout=20)
        self.assertLess(time.monotonic() - started, 15)
        if response.status_code:
            self.assertHeatError(response, 400)
        # The client just disappears, several times over.
        for _n in range(10):
            with socket.create_connection(('127.0.0.1', self.port),
                                          timeout=5) as sock:
                sock.sendall(request)
        self.assertAlive()
        # Headers only, cut in the middle.
        with socket.create_connection(('127.0.0.1', self.port),
                                      timeout=5) as sock:
            sock.sendall(b'GET /v1/%s/stacks HTTP/1.1\r\nHost: x\r\nX-Au'
                         % PROJECT.encode())
        listed = self.request('GET', self.service.stacks_url())
        self.assertEqual(200, listed.status_code, listed.text)

    def test_slow_request_does_not_block_others(self):
        """A slowloris-style client; everybody else is still served."""
        request = http_bytes('GET', '/v1/%s/stacks' % PROJECT, HEADERS)
        answers = []

        def slow_client():
            # One byte every 20 ms: about 4 s for the whole request.
            answers.append(raw_request(self.port, [bytes([b])
                                                   for b in request],
                                       pause=0.02, timeout=60))
        slow = [threading.Thread(target=slow_client) for _n in range(4)]
        for thread in slow:
            thread.start()
        time.sleep(0.3)
        served = 0
        while any(t.is_alive() for t in slow):
            started = time.monotonic()
            response = self.request('GET', self.service.stacks_url(),
                                    timeout=10)
            self.assertEqual(200, response.status_code, response.text)
            self.assertLess(time.monotonic() - started, 5)
            served += 1
            time.sleep(0.1)
        for thread in slow:
            thread.join(60)
        self.assertGreater(served, 5)
        self.assertEqual([200] * 4, [r.status_code for r in answers])

    def test_invalid_methods(self):
        s = self.service
        for method in ('BREW', 'PROPFIND', 'TRACE', 'CONNECT', 'OPTIONS'):
            for url in (s.url('/v1/%s/stacks' % PROJECT),
                        self.snapshots_url(),
                        self.snapshots_url() + '/' + s.snapshot_id):
                response = self.request(method, url)
                if method == 'OPTIONS' and response.status_code < 400:
                    # CORS preflight answers are not errors.
                    continue
                self.assertHeatError(response, (400, 404, 405, 501))
        # Methods the API has, where it does not take them.
        for method, url in (
                ('PUT', self.snapshots_url()),
                ('DELETE', self.snapshots_url()),
                ('PATCH', self.snapshots_url() + '/' + s.snapshot_id),
                ('GET', self.snapshots_url() + '/%s/restore'
                 % s.snapshot_id),
                ('DELETE', s.stacks_url())):
            self.assertHeatError(self.request(method, url), 405,
                                 'HTTPMethodNotAllowed')
        # Not HTTP at all.
        for raw in (b'BR\x00W / HTTP/1.1\r\nHost: x\r\n\r\n',
                    b'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n',
                    b'GET\r\n\r\n', b'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
                    b'GET /' + b' ' * 20 + b'x HTTP/1.1\r\n\r\n',
                    b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' +
                    b'\x00' * 64):
            response = raw_request(self.port, raw, shutdown=True)
            if response.status_code:
                self.assertHeatError(response)

    def test_huge_headers(self):
        s = self.service
        url = s.stacks_url()
        # One huge header; many headers; a huge identity header.
        for headers in (dict(HEADERS, **{'X-Big': 'a' * 200000}),
                        dict(HEADERS, **{'X-H%d' % n: 'v' * 100
                                         for n in range(1000)}),
                        dict(HEADERS, **{'X-Auth-User': 'u' * 100000})):
            response = raw_request(self.port, http_bytes(
                'GET', '/v1/%s/stacks' % PROJECT, headers))
            self.assertHeatError(response, (400, 413, 431))
        # Large but reasonable (a big token): served.
        response = self.request('GET', url, headers=dict(
            HEADERS, **{'X-Auth-Token': 't' * 8000}))
        self.assertEqual(200, response.status_code, response.text)
        # Identity headers with odd values: refused or not found, cleanly.
        for value in ('\u00e9'.encode('latin-1'), b'\xff\xfe', b'a,b,,',
                      b' ', b"' OR 1=1 --"):
            for name in ('X-Auth-Project', 'X-Auth-User', 'X-Roles'):
                response = raw_request(self.port, http_bytes(
                    'GET', '/v1/%s/stacks' % PROJECT,
                    dict(HEADERS, **{name: value})))
                self.assertNo5xx(response)
                if response.status_code >= 400:
                    self.assertHeatError(response)
