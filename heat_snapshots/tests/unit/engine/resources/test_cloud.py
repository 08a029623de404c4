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

"""The rules every cloud plugin shares: what its artifacts are named and
when one is provably ours, so that nothing else is ever deleted.

The plugins' calls to Cinder, Nova and Glance, and which 404 proves an
artifact gone, are in test_cinder and test_nova.
"""

import types

import requests

from heat_snapshots.engine.resources import cloud
from heat_snapshots.tests import base

SNAPSHOT = '0b5d4c1e-6f1f-4f5b-8c0e-0a4bb6c3e2f1'
INSTALLATION = 'c0ffee00-0000-4000-8000-000000000001'
REQUEST = '5e1f6a0c-2b7d-4c8e-9f10-1a2b3c4d5e6f'


def _entry(**values):
    """A ledger entry as db/api.py returns it (the fields read here)."""
    return types.SimpleNamespace(**dict(
        {'name': cloud.artifact_name(SNAPSHOT, 'vol', REQUEST),
         'snapshot_id': SNAPSHOT, 'installation_id': INSTALLATION,
         'project_id': 'project-a'}, **values))


def _artifact(entry, **values):
    """What a service tells of the entry's artifact, unchanged."""
    return cloud.Artifact(**dict(
        {'id': 'a1', 'name': entry.name, 'markers': cloud.markers(entry),
         'owner': None}, **values))


class ArtifactNameTestCase(base.TestCase):

    def test_name_says_snapshot_resource_and_request(self):
        self.assertEqual('heat-snapshots-%s-vol-%s' % (SNAPSHOT, REQUEST),
                         cloud.artifact_name(SNAPSHOT, 'vol', REQUEST))

    def test_a_nested_resource_is_named_by_its_leaf(self):
        self.assertEqual(
            cloud.artifact_name(SNAPSHOT, 'vol', REQUEST),
            cloud.artifact_name(SNAPSHOT, 'group/member-0/vol', REQUEST))

    def test_any_resource_name_fits_the_services_255(self):
        name = cloud.artifact_name(SNAPSHOT, 'r' * 255, REQUEST)
        self.assertLessEqual(len(name), 255)
        self.assertIn('-%s-%s' % ('r' * cloud.NAME_RESOURCE_LENGTH, REQUEST),
                      name)

    def test_each_request_names_its_own_artifact(self):
        self.assertNotEqual(
            cloud.artifact_name(SNAPSHOT, 'vol', REQUEST),
            cloud.artifact_name(SNAPSHOT, 'vol', REQUEST[::-1]))


class OwnershipTestCase(base.TestCase):

    def test_the_recorded_artifact_is_ours(self):
        entry = _entry()
        self.assertEqual({cloud.SNAPSHOT_ID_KEY: SNAPSHOT,
                          cloud.INSTALLATION_ID_KEY: INSTALLATION},
                         cloud.markers(entry))
        self.assertIsNone(cloud.ownership_problem(
            entry, _artifact(entry), owner_required=False))
        self.assertIsNone(cloud.ownership_problem(
            entry, _artifact(entry, owner='project-a'),
            owner_required=True))

    def test_anything_else_is_not_and_says_why(self):
        entry = _entry()
        cases = [
            (_artifact(entry, name='my-volume-backup'), False,
             "its name is 'my-volume-backup', not %r" % entry.name),
            (_artifact(entry, markers={}), False,
             "its heat_snapshots_installation_id is None, not %r"
             % INSTALLATION),
            # Another heat-snapshots installation on the same cloud.
            (_artifact(entry, markers=dict(
                cloud.markers(entry),
                **{cloud.INSTALLATION_ID_KEY: 'other'})), False,
             "its heat_snapshots_installation_id is 'other', not %r"
             % INSTALLATION),
            (_artifact(entry, owner='project-b'), False,
             'its owner is project-b, not project-a'),
            # Glance tells every image's owner: one not told is not ours.
            (_artifact(entry), True, 'its owner is None, not project-a'),
        ]
        for artifact, owner_required, problem in cases:
            self.assertEqual(problem, cloud.ownership_problem(
                entry, artifact, owner_required))

    def test_an_artifact_from_before_the_ledger(self):
        marked = cloud.Artifact('a1', 'any name',
                                {cloud.SNAPSHOT_ID_KEY: SNAPSHOT}, None)
        self.assertIsNone(cloud.unledgered_problem(
            marked, SNAPSHOT, 'project-a', owner_required=False))
        self.assertEqual(
            "it has no ledger entry and its heat_snapshots_snapshot_id is "
            "None, not %r" % SNAPSHOT,
            cloud.unledgered_problem(marked._replace(markers=None),
                                     SNAPSHOT, 'project-a', False))
        self.assertEqual(
            'its owner is project-b, not project-a',
            cloud.unledgered_problem(marked._replace(owner='project-b'),
                                     SNAPSHOT, 'project-a', False))
        self.assertEqual(
            'its owner is None, not project-a',
            cloud.unledgered_problem(marked, SNAPSHOT, 'project-a', True))


def _response(content_type, body):
    response = requests.Response()
    response.status_code = 404
    if content_type is not None:
        response.headers['Content-Type'] = content_type
    response._content = body.encode('utf-8')
    return response


class JSONBodyTestCase(base.TestCase):

    def test_json_said_and_sent(self):
        for content_type in ('application/json',
                             'Application/JSON; charset=UTF-8', None):
            self.assertEqual({'itemNotFound': {}}, cloud.json_body(
                _response(content_type, '{"itemNotFound": {}}')))

    def test_anything_else_is_no_body(self):
        # A proxy's page, and JSON-looking text not said to be JSON.
        self.assertIsNone(cloud.json_body(
            _response('text/html', '<html>404 Not Found</html>')))
        self.assertIsNone(cloud.json_body(
            _response('text/plain', '{"itemNotFound": {}}')))
        self.assertIsNone(cloud.json_body(
            _response('application/json', '<html>')))
