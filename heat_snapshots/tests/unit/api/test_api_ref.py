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

"""The API reference's JSON samples are bodies its openapi.yaml allows.

tools/capture-api-samples.py writes the samples from a running service,
and the functional conformance tests check the service against
openapi.yaml; this keeps the two documents in step without a service:
a sample whose keys or types the document no longer allows (or a sample
the .inc files show that nothing checks) fails here.
"""

import json
import os
import re

import jsonschema
import referencing
from referencing import jsonschema as referencing_jsonschema
import yaml

import heat_snapshots
from heat_snapshots.api.schemas.v1 import snapshot_policies
from heat_snapshots.api.schemas.v1 import snapshots
from heat_snapshots.api.schemas.v1 import stacks
from heat_snapshots.tests import base

SOURCE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(heat_snapshots.__file__))),
    'api-ref', 'source')
SAMPLES = os.path.join(SOURCE, 'samples')

_STACK = '/v1/{tenant_id}/stacks/{stack_name}/{stack_id}'
_SNAPSHOT = _STACK + '/snapshots/{snapshot_id}'
_POLICY = '/v1/{tenant_id}/snapshot_policies/{policy_id}'

# Each JSON sample: the operation (path, method) it shows, and 'request'
# or the status of the answer it is.
JSON_SAMPLES = {
    'stack-create-request.json': ('/v1/{tenant_id}/stacks', 'post',
                                  'request'),
    'stack-create-response.json': ('/v1/{tenant_id}/stacks', 'post', '201'),
    'stack-lookup-response.json': ('/v1/{tenant_id}/stacks/{stack_name}',
                                   'get', '302'),
    'stack-snapshot-request.json': (_STACK + '/snapshots', 'post',
                                    'request'),
    'stack-snapshot-response.json': (_STACK + '/snapshots', 'post', '200'),
    'stack-snapshot-bad-name-request.json': (_STACK + '/snapshots', 'post',
                                             'bad request'),
    'stack-snapshot-bad-name-response.json': (_STACK + '/snapshots', 'post',
                                              '400'),
    'stack-snapshot-long-name-response.json': (_STACK + '/snapshots',
                                               'post', '400'),
    'stack-snapshot-conflict-response.json': (_STACK + '/snapshots', 'post',
                                              '409'),
    'stack-snapshot-forbidden-response.json': (_STACK + '/snapshots', 'get',
                                               '403'),
    'stack-snapshots-list-response.json': (_STACK + '/snapshots', 'get',
                                           '200'),
    'snapshots-list-bad-sort-response.json': (_STACK + '/snapshots', 'get',
                                              '400'),
    'stack-snapshot-show-response.json': (_SNAPSHOT, 'get', '200'),
    'stack-snapshot-not-found-response.json': (_SNAPSHOT, 'get', '404'),
    'stack-snapshot-delete-in-progress-response.json': (_SNAPSHOT, 'delete',
                                                        '400'),
    'stack-snapshot-restore-response.json': (_SNAPSHOT + '/restore', 'post',
                                             '202'),
    'stack-snapshot-restore-preview-response.json': (
        _SNAPSHOT + '/restore_preview', 'post', '200'),
    'stack-snapshot-clone-request.json': (_SNAPSHOT + '/clone', 'post',
                                          'request'),
    'stack-snapshot-clone-response.json': (_SNAPSHOT + '/clone', 'post',
                                           '201'),
    'snapshot-resources-response.json': (_SNAPSHOT + '/resources', 'get',
                                         '200'),
    'snapshot-cancel-response.json': (_SNAPSHOT + '/cancel', 'post', '202'),
    'snapshot-cancel-conflict-response.json': (_SNAPSHOT + '/cancel',
                                               'post', '409'),
    'snapshot-policy-create-request.json': ('/v1/{tenant_id}/'
                                            'snapshot_policies', 'post',
                                            'request'),
    'snapshot-policy-create-response.json': ('/v1/{tenant_id}/'
                                             'snapshot_policies', 'post',
                                             '201'),
    'snapshot-policy-update-request.json': (_POLICY, 'patch', 'request'),
    'snapshot-policy-run-response.json': (_POLICY + '/run', 'post', '202'),
    'snapshot-policy-runs-response.json': (_POLICY + '/runs', 'get', '200'),
    'snapshot-policy-prune-preview-response.json': (
        _POLICY + '/prune_preview', 'get', '200'),
    'project-snapshots-list-response.json': ('/v1/{tenant_id}/snapshots',
                                             'get', '200'),
    'project-snapshot-clone-request.json': (
        '/v1/{tenant_id}/snapshots/{snapshot_id}/clone', 'post', 'request'),
    'project-snapshot-clone-response.json': (
        '/v1/{tenant_id}/snapshots/{snapshot_id}/clone', 'post', '201'),
}

# The request samples, as the API's own schema module judges them.
REQUEST_SCHEMAS = {
    'stack-create-request.json': stacks.create,
    'stack-snapshot-request.json': snapshots.create,
    'stack-snapshot-clone-request.json': snapshots.clone,
    'project-snapshot-clone-request.json': snapshots.clone,
    'snapshot-policy-create-request.json': snapshot_policies.create,
    'snapshot-policy-update-request.json': snapshot_policies.update,
}

_DOCUMENT = 'urn:heat-snapshots:openapi'


def _pointer(*parts):
    return '/'.join(p.replace('~', '~0').replace('/', '~1') for p in parts)


def _load(name):
    with open(os.path.join(SAMPLES, name)) as f:
        return json.load(f)


class APIRefSamplesTest(base.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(os.path.join(SOURCE, 'openapi.yaml')) as f:
            cls.spec = yaml.safe_load(f)
        cls.registry = referencing.Registry().with_resource(
            _DOCUMENT,
            referencing_jsonschema.DRAFT202012.create_resource(cls.spec))

    def _schema_pointer(self, path, method, what):
        """The document's pointer to the body schema of ``what``."""
        operation = self.spec['paths'][path][method]
        if what == 'request':
            return '#/' + _pointer('paths', path, method, 'requestBody',
                                   'content', 'application/json', 'schema')
        response = operation['responses'][what]
        if '$ref' in response:
            return response['$ref'] + '/content/application~1json/schema'
        return '#/' + _pointer('paths', path, method, 'responses', what,
                               'content', 'application/json', 'schema')

    def _errors(self, body, pointer):
        validator = jsonschema.Draft202012Validator(
            {'$ref': _DOCUMENT + pointer}, registry=self.registry)
        return ['%s: %s' % ('/'.join(map(str, e.absolute_path)), e.message)
                for e in validator.iter_errors(body)]

    def test_every_json_sample_is_allowed_by_openapi(self):
        for name, (path, method, what) in sorted(JSON_SAMPLES.items()):
            body = _load(name)
            if what == 'bad request':
                # What the document refuses, as the server does (400).
                self.assertNotEqual(
                    [], self._errors(body, self._schema_pointer(
                        path, method, 'request')), name)
                continue
            self.assertEqual(
                [], self._errors(body, self._schema_pointer(path, method,
                                                            what)), name)

    def test_request_samples_pass_the_api_schemas(self):
        for name, schema in sorted(REQUEST_SCHEMAS.items()):
            jsonschema.Draft202012Validator(schema).validate(_load(name))

    def test_the_error_samples_are_heats_fault_body(self):
        for name, (_path, _method, what) in sorted(JSON_SAMPLES.items()):
            if what.isdigit() and int(what) >= 400:
                body = _load(name)
                self.assertEqual(['code', 'title', 'explanation', 'error'],
                                 list(body), name)
                self.assertEqual(int(what), body['code'], name)

    def test_every_sample_shown_is_checked(self):
        shown = set()
        for name in os.listdir(SOURCE):
            if name.endswith('.inc'):
                with open(os.path.join(SOURCE, name)) as f:
                    shown.update(re.findall(
                        r'literalinclude:: samples/(\S+\.json)', f.read()))
        self.assertEqual(set(), shown - set(JSON_SAMPLES))
        on_disk = {n for n in os.listdir(SAMPLES) if n.endswith('.json')}
        self.assertEqual(set(), set(JSON_SAMPLES) - on_disk)
