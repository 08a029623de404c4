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

"""The heat-snapshots API on tempest.lib: Heat's five snapshot calls and
the few stack calls the tests need.

Paths are relative to the catalog's endpoint, ``.../v1/{project_id}``.
Stacks are named by ``(stack_name, stack_id)``, as Heat's snapshot routes
want them.
"""

import time
from urllib import parse

from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client
from tempest.lib import exceptions as lib_exc


class SnapshotsClient(rest_client.RestClient):

    def _body(self, resp, body):
        return rest_client.ResponseBody(
            resp, json.loads(body) if body else {})

    @staticmethod
    def _stack(stack_name, stack_id):
        return 'stacks/%s/%s' % (stack_name, stack_id)

    # --- stacks -------------------------------------------------------

    def create_stack(self, stack_name, template, parameters=None,
                     environment=None):
        post_body = {'stack_name': stack_name, 'template': template,
                     'parameters': parameters or {}}
        if environment:
            post_body['environment'] = environment
        resp, body = self.post('stacks', json.dumps(post_body))
        self.expected_success(201, resp.status)
        return self._body(resp, body)

    def show_stack(self, stack_name, stack_id):
        resp, body = self.get(self._stack(stack_name, stack_id))
        self.expected_success(200, resp.status)
        return self._body(resp, body)

    def show_template(self, stack_name, stack_id):
        resp, body = self.get(self._stack(stack_name, stack_id) +
                              '/template')
        self.expected_success(200, resp.status)
        return self._body(resp, body)

    def update_stack(self, stack_name, stack_id, template, parameters=None):
        put_body = {'template': template, 'parameters': parameters or {}}
        resp, body = self.put(self._stack(stack_name, stack_id),
                              json.dumps(put_body))
        self.expected_success(202, resp.status)
        return self._body(resp, body)

    def delete_stack(self, stack_name, stack_id):
        resp, body = self.delete(self._stack(stack_name, stack_id))
        self.expected_success(204, resp.status)
        return rest_client.ResponseBody(resp, body)

    # --- snapshots: Heat's five calls ---------------------------------

    def create_snapshot(self, stack_name, stack_id, name=None):
        """POST .../snapshots: 200 and the bare snapshot, as in Heat."""
        resp, body = self.post(self._stack(stack_name, stack_id) +
                               '/snapshots', json.dumps({'name': name}))
        self.expected_success(200, resp.status)
        return self._body(resp, body)

    def list_snapshots(self, stack_name, stack_id):
        resp, body = self.get(self._stack(stack_name, stack_id) +
                              '/snapshots')
        self.expected_success(200, resp.status)
        return self._body(resp, body)

    def show_snapshot(self, stack_name, stack_id, snapshot_id):
        resp, body = self.get('%s/snapshots/%s' % (
            self._stack(stack_name, stack_id), snapshot_id))
        self.expected_success(200, resp.status)
        return self._body(resp, body)

    def restore_snapshot(self, stack_name, stack_id, snapshot_id):
        resp, body = self.post('%s/snapshots/%s/restore' % (
            self._stack(stack_name, stack_id), snapshot_id), None)
        self.expected_success(202, resp.status)
        return self._body(resp, body)

    def delete_snapshot(self, stack_name, stack_id, snapshot_id):
        resp, body = self.delete('%s/snapshots/%s' % (
            self._stack(stack_name, stack_id), snapshot_id))
        self.expected_success(204, resp.status)
        return rest_client.ResponseBody(resp, body)

    def project_request(self, method, project_id, path, body=None):
        """``method`` on ``path`` under ``/v1/{project_id}`` of another
        project: the catalog gives the caller's own project's URL.
        """
        catalog_path = parse.urlparse(self.base_url).path.rstrip('/')
        prefix = catalog_path.rsplit('/', 1)[0]
        self.skip_path()
        try:
            resp, body = self.request(
                method, '%s/%s/%s' % (prefix, project_id, path), body=body)
        finally:
            self.reset_path()
        return self._body(resp, body)

    # --- waiters --------------------------------------------------------

    def _wait(self, what, read, done, failed=None):
        """Call ``read()`` until ``done(value)``; TimeoutException after
        ``build_timeout``.
        """
        start = time.time()
        value = None
        while True:
            value = read()
            if done(value):
                return value
            if failed is not None and failed(value):
                raise lib_exc.TempestException(
                    '%s ended badly: %s' % (what, value))
            if time.time() - start >= self.build_timeout:
                raise lib_exc.TimeoutException(
                    '%s: not done after %s s; last seen: %s'
                    % (what, self.build_timeout, value))
            time.sleep(self.build_interval)

    def wait_for_stack_status(self, stack_name, stack_id, status):
        def read():
            return self.show_stack(stack_name, stack_id)['stack']
        return self._wait(
            'stack %s/%s to reach %s' % (stack_name, stack_id, status), read,
            lambda s: s['stack_status'] == status,
            lambda s: (s['stack_status'] != status and
                       s['stack_status'].endswith('_FAILED')))

    def wait_for_stack_deleted(self, stack_name, stack_id):
        def read():
            try:
                return self.show_stack(stack_name, stack_id)['stack'][
                    'stack_status']
            except lib_exc.NotFound:
                return 'NOT_FOUND'
        return self._wait('stack %s/%s to go' % (stack_name, stack_id),
                          read, lambda s: s in ('DELETE_COMPLETE',
                                                'NOT_FOUND'),
                          lambda s: s == 'DELETE_FAILED')

    def wait_for_snapshot_status(self, stack_name, stack_id, snapshot_id,
                                 status):
        def read():
            return self.show_snapshot(stack_name, stack_id, snapshot_id)[
                'snapshot']
        return self._wait(
            'snapshot %s to reach %s' % (snapshot_id, status), read,
            lambda s: s['status'] == status,
            lambda s: s['status'] != status and s['status'] == 'FAILED')

    def wait_for_snapshot_deleted(self, stack_name, stack_id, snapshot_id):
        def read():
            try:
                return self.show_snapshot(stack_name, stack_id,
                                          snapshot_id)['snapshot']
            except lib_exc.NotFound:
                return None
        return self._wait('snapshot %s to go' % snapshot_id, read,
                          lambda s: s is None)
