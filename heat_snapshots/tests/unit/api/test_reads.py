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

"""Snapshot show and list beside pecan: the same answers as through it."""

from unittest import mock

from heat_snapshots.api import reads
from heat_snapshots.tests import base as test_base
from heat_snapshots.tests.unit.api import base

SNAPSHOTS = '/v1/t/stacks/name/id/snapshots'


def environ(path, method='GET', **extra):
    result = {'REQUEST_METHOD': method, 'PATH_INFO': path,
              'QUERY_STRING': ''}
    result.update(extra)
    return result


class RouteTest(test_base.TestCase):

    def test_show_and_list_are_answered_here(self):
        self.assertEqual(('t', 'name', 'id', None),
                         reads.route(environ(SNAPSHOTS)))
        self.assertEqual(('t', 'my.stack', 'id', 'snap-1'),
                         reads.route(environ(
                             '/v1/t/stacks/my.stack/id/snapshots/snap-1',
                             CONTENT_LENGTH='0')))

    def test_utf8_segments_are_decoded_as_webob_does(self):
        path = '/v1/t/stacks/zoë/id/snapshots'.encode('utf-8').decode(
            'latin-1')
        self.assertEqual(('t', 'zoë', 'id', None),
                         reads.route(environ(path)))

    def test_everything_else_goes_to_pecan(self):
        for env in (
                environ(SNAPSHOTS, method='HEAD'),
                environ(SNAPSHOTS, method='POST'),
                environ(SNAPSHOTS, QUERY_STRING='a=1'),
                environ(SNAPSHOTS, CONTENT_LENGTH='2'),
                environ(SNAPSHOTS, HTTP_TRANSFER_ENCODING='chunked'),
                environ(SNAPSHOTS + '/'),
                environ(SNAPSHOTS + '/s/restore'),
                environ('/v1/t/stacks/name/snapshots'),
                environ('/v1/t/stacks/name/id//snapshots'),
                environ('/v1/t/stacks/get_all/id/snapshots'),
                environ('/v1/t/stacks/name/_lookup/snapshots'),
                environ(SNAPSHOTS + '/delete'),
                environ(SNAPSHOTS + '/restore'),
                environ(SNAPSHOTS + '/__class__'),
                environ('/v1/_lookup/stacks/name/id/snapshots'),
                environ(SNAPSHOTS + '/\xff'),
        ):
            self.assertIsNone(reads.route(env), env)


class SameAnswersTest(base.APITestCase):
    """Each read answered beside pecan equals pecan's own answer."""

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()
        self.snap = self.snapshot(self.stack)
        other = self.create_stack('other')
        self.other_snap = self.snapshot(other)

    def both(self, path, headers=None):
        fast = self.request('GET', path, headers=headers)
        with mock.patch.object(reads, 'route', return_value=None):
            slow = self.request('GET', path, headers=headers)
        return fast, slow

    def assertSame(self, path, status, headers=None):
        fast, slow = self.both(path, headers)
        self.assertEqual(status, fast.status_int, fast.text)
        for response in (fast, slow):
            self.assertRequestId(response)
        strip = [(k, v) for k, v in fast.headerlist
                 if k.lower() != 'x-openstack-request-id']
        self.assertEqual(
            (slow.status, [(k, v) for k, v in slow.headerlist
                           if k.lower() != 'x-openstack-request-id'],
             slow.body),
            (fast.status, strip, fast.body))

    def test_show_and_list(self):
        url = self.snapshots_url(self.stack)
        self.assertSame('%s/%s' % (url, self.snap['id']), 200)
        self.assertSame(url, 200)

    def test_errors(self):
        url = self.snapshots_url(self.stack)
        cases = [
            # Unknown snapshot; a snapshot of another stack.
            ('%s/%s' % (url, 'nothing'), 404, None),
            ('%s/%s' % (url, self.other_snap['id']), 404, None),
            # The name does not match the id.
            ('/v1/%s/stacks/other/%s/snapshots' % (
                base.PROJECT, self.stack['id']), 404, None),
            # Another tenant in the URL; no role that reads snapshots.
            ('/v1/project-b/stacks/stack/%s/snapshots' % self.stack['id'],
             403, None),
            (url, 403, {'X-Roles': 'nobody'}),
            ('%s/%s' % (url, self.snap['id']), 403, {'X-Roles': 'nobody'}),
            # An admin of another project sees it, as in Heat.
            ('%s/%s' % (url, self.snap['id']), 200,
             {'X-Auth-Project': 'project-b', 'X-Roles': 'admin'}),
        ]
        for path, status, headers in cases:
            self.assertSame(path, status, headers)

    def test_pecan_is_not_called_for_a_read(self):
        url = self.snapshots_url(self.stack)
        with mock.patch('pecan.core.Pecan.__call__') as pecan_call:
            self.get('%s/%s' % (url, self.snap['id']))
            self.get(url)
        pecan_call.assert_not_called()
