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

"""The heat-snapshots API, from Python.

::

    from keystoneauth1 import loading, session
    from heat_snapshots_client import client

    auth = loading.load_auth_from_argparse_arguments(...)  # or any plugin
    hs = client.Client(session.Session(auth=auth))
    stack = hs.find_stack('web')
    snapshot = hs.create_snapshot(stack, name='before-upgrade')

The endpoint is the catalog's ``orchestration`` one (Heat's, where the
heat-snapshots filter serves the snapshot routes), or heat-snapshots' own
given as ``endpoint``: the paths are the same, ``/v1/{tenant_id}/...``. An
endpoint without its ``/v1/{tenant_id}`` part gets the session's project.

Errors are :class:`HTTPError` with Heat's error type and message.
"""

import re
import urllib.parse

from keystoneauth1 import adapter

SERVICE_TYPE = 'orchestration'

_VERSIONED = re.compile(r'/v1/[^/]+$')


class ClientError(Exception):
    """A request that the client cannot make (no project, no match)."""


class NotFound(ClientError):
    """No stack, snapshot or policy of that name or id."""


class NoUniqueMatch(ClientError):
    """Several of them have that name: give the id."""


class HTTPError(Exception):
    """An error answer of the API, in Heat's error body.

    :ivar status: the HTTP status code.
    :ivar type: Heat's ``error.type`` (``EntityNotFound``...), or None.
    :ivar message: ``error.message``, or the body's text.
    :ivar request_id: ``X-OpenStack-Request-Id``, to quote to the operator.
    """

    def __init__(self, status, message, error_type=None, request_id=None):
        self.status = status
        self.type = error_type
        self.message = message
        self.request_id = request_id
        text = 'HTTP %s' % status
        if error_type:
            text += ' %s' % error_type
        text += ': %s' % message
        if request_id:
            text += ' (request %s)' % request_id
        super().__init__(text)

    @classmethod
    def from_response(cls, response):
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get('error') if isinstance(body, dict) else None
        if isinstance(error, dict):
            message = error.get('message') or body.get('explanation')
            type_ = error.get('type')
        else:
            message = (response.text or response.reason or '').strip()
            type_ = None
        return cls(response.status_code, message, type_,
                   response.headers.get('X-OpenStack-Request-Id'))


def _quote(value):
    return urllib.parse.quote(str(value), safe='')


class Stack:
    """A stack as the snapshot paths name it: its name and id."""

    def __init__(self, name, id):
        self.name = name
        self.id = id

    @property
    def path(self):
        return 'stacks/%s/%s' % (_quote(self.name), _quote(self.id))

    def __repr__(self):
        return '<Stack %s/%s>' % (self.name, self.id)

    def __eq__(self, other):
        return (isinstance(other, Stack) and
                (self.name, self.id) == (other.name, other.id))

    __hash__ = None


class Client:
    """The heat-snapshots API on a keystoneauth1 session.

    :param session: a ``keystoneauth1.session.Session``.
    :param endpoint: heat-snapshots' (or Heat's) endpoint, instead of the
        catalog's; with or without ``/v1/{tenant_id}``.
    :param service_type: the catalog's type (``orchestration``).
    :param interface: the catalog's interface (public, internal, admin).
    :param region_name: the catalog's region.
    """

    def __init__(self, session, endpoint=None, service_type=SERVICE_TYPE,
                 interface=None, region_name=None):
        self.http = adapter.Adapter(
            session, service_type=service_type, interface=interface,
            region_name=region_name, endpoint_override=endpoint)
        self._base = None

    # --- the HTTP layer --------------------------------------------------

    @property
    def base_url(self):
        """``.../v1/{tenant_id}``: where every path starts."""
        if self._base is None:
            url = (self.http.get_endpoint() or '').rstrip('/')
            if not url:
                raise ClientError('no orchestration endpoint: give one, or '
                                  'a session with a service catalog')
            if not _VERSIONED.search(url):
                project_id = self.http.get_project_id()
                if not project_id:
                    raise ClientError(
                        'endpoint %s has no /v1/<tenant_id> and the session '
                        'has no project: give the endpoint with it' % url)
                if not url.endswith('/v1'):
                    url += '/v1'
                url += '/' + project_id
            self._base = url
        return self._base

    def request(self, method, path, body=None, params=None, ok=(200,),
                redirect=True):
        """One call; the response, or :class:`HTTPError`."""
        kwargs = {}
        headers = {'Accept': 'application/json'}
        if body is not None:
            kwargs['json'] = body
        elif method in ('POST', 'PUT', 'PATCH'):
            # An action without a body is still JSON (the API refuses a
            # form-like POST without authentication).
            headers['Content-Type'] = 'application/json'
        if params:
            kwargs['params'] = {k: v for k, v in params.items()
                                if v is not None}
        response = self.http.request(
            '%s/%s' % (self.base_url, path), method, raise_exc=False,
            redirect=redirect, headers=headers, **kwargs)
        if response.status_code not in ok:
            raise HTTPError.from_response(response)
        return response

    def _json(self, method, path, body=None, params=None, ok=(200,)):
        response = self.request(method, path, body, params, ok)
        if not response.content:
            return None
        return response.json()

    @staticmethod
    def _one(items, name_or_id, what):
        found = [item for item in items if item.get('name') == name_or_id]
        if not found:
            raise NotFound('no %s with the name or id %s'
                           % (what, name_or_id))
        if len(found) > 1:
            raise NoUniqueMatch('%d %ss are named %s: give the id'
                                % (len(found), what, name_or_id))
        return found[0]

    # --- stacks ----------------------------------------------------------

    def find_stack(self, name_or_id):
        """The :class:`Stack` of a name or id (Heat's 302 lookup)."""
        if isinstance(name_or_id, Stack):
            return name_or_id
        try:
            response = self.request('GET', 'stacks/%s' % _quote(name_or_id),
                                    ok=(200, 302), redirect=False)
        except HTTPError as error:
            if error.status == 404:
                raise NotFound('no stack with the name or id %s'
                               % name_or_id) from error
            raise
        if response.status_code == 302:
            location = urllib.parse.urlsplit(response.headers['Location'])
            parts = location.path.rstrip('/').split('/')
            return Stack(urllib.parse.unquote(parts[-2]),
                         urllib.parse.unquote(parts[-1]))
        stack = response.json()['stack']
        return Stack(stack['stack_name'], stack['id'])

    def get_stack(self, stack):
        """The stack's body (``stack_status`` and all)."""
        stack = self.find_stack(stack)
        return self._json('GET', stack.path)['stack']

    # --- snapshots: Heat's five, and more --------------------------------

    def create_snapshot(self, stack, name=None):
        """Take a snapshot; the snapshot, IN_PROGRESS."""
        stack = self.find_stack(stack)
        body = {} if name is None else {'name': name}
        return self._json('POST', stack.path + '/snapshots', body)

    def list_snapshots(self, stack, limit=None, marker=None, sort=None,
                       status=None):
        """The stack's snapshots.

        :param sort: ``key[:asc|desc]``, sent as ``sort_keys`` and
            ``sort_dir`` as Heat's lists take them.
        """
        stack = self.find_stack(stack)
        params = {'limit': limit, 'marker': marker, 'status': status}
        if sort:
            key, _, direction = sort.partition(':')
            params['sort_keys'] = key
            params['sort_dir'] = direction or None
        return self._json('GET', stack.path + '/snapshots',
                          params=params)['snapshots']

    def get_snapshot(self, stack, snapshot_id):
        stack = self.find_stack(stack)
        return self._json('GET', '%s/snapshots/%s' % (
            stack.path, _quote(snapshot_id)))['snapshot']

    def find_snapshot(self, stack, name_or_id):
        """A snapshot of the stack by id, or by its (unique) name."""
        stack = self.find_stack(stack)
        try:
            return self.get_snapshot(stack, name_or_id)
        except HTTPError as error:
            if error.status != 404:
                raise
        return self._one(self._json('GET', stack.path + '/snapshots')[
            'snapshots'], name_or_id, 'snapshot')

    def _snapshot_path(self, stack, snapshot):
        stack = self.find_stack(stack)
        if isinstance(snapshot, dict):
            snapshot = snapshot['id']
        else:
            snapshot = self.find_snapshot(stack, snapshot)['id']
        return '%s/snapshots/%s' % (stack.path, _quote(snapshot))

    def restore_snapshot(self, stack, snapshot):
        """Restore the stack to a snapshot (202: the stack restores)."""
        self.request('POST', self._snapshot_path(stack, snapshot) +
                     '/restore', ok=(200, 202))

    def delete_snapshot(self, stack, snapshot):
        self.request('DELETE', self._snapshot_path(stack, snapshot),
                     ok=(200, 202, 204))

    def restore_preview(self, stack, snapshot):
        """What a restore would change.

        Heat's update-preview shape: ``resource_changes`` (added, deleted,
        replaced, unchanged, updated) and ``data_loss``.
        """
        return self._json('POST', self._snapshot_path(stack, snapshot) +
                          '/restore_preview')

    def clone_snapshot(self, stack, snapshot, stack_name, parameters=None):
        """A new stack from a snapshot; its ``{"id", "links"}``.

        :param stack: the snapshot's stack; None for a snapshot of the
            project named without it (``/snapshots/{id}/clone``), the one
            way to clone a snapshot kept after its stack.
        """
        body = {'stack_name': stack_name, 'parameters': parameters or {}}
        if stack is None:
            path = self._project_snapshot_path(snapshot)
        else:
            path = self._snapshot_path(stack, snapshot)
        return self._json('POST', path + '/clone', body,
                          ok=(200, 201, 202))['stack']

    # --- every snapshot of the project -----------------------------------

    def get_project_snapshot(self, snapshot_id):
        """A snapshot of the project, its stack live or deleted."""
        return self._json('GET', 'snapshots/%s'
                          % _quote(snapshot_id))['snapshot']

    def find_project_snapshot(self, name_or_id):
        """A snapshot of the project by id, or by its (unique) name."""
        try:
            return self.get_project_snapshot(name_or_id)
        except HTTPError as error:
            if error.status != 404:
                raise
        return self._one(self._json('GET', 'snapshots', params={
            'name': name_or_id})['snapshots'], name_or_id, 'snapshot')

    def _project_snapshot_path(self, snapshot):
        if not isinstance(snapshot, dict):
            snapshot = self.find_project_snapshot(snapshot)
        return 'snapshots/%s' % _quote(snapshot['id'])

    def list_snapshot_resources(self, stack, snapshot):
        """Each resource's part of the snapshot.

        Each a dict: name, status, status_reason, artifact_id, started_at,
        finished_at.
        """
        return self._json('GET', self._snapshot_path(stack, snapshot) +
                          '/resources')['resources']

    def cancel_snapshot(self, stack, snapshot):
        self.request('POST', self._snapshot_path(stack, snapshot) +
                     '/cancel', ok=(200, 202, 204))

    # --- snapshot policies -----------------------------------------------

    def create_policy(self, name, cron, timezone='UTC', stack_ids=None,
                      tags=None, retention=None,
                      keep_after_stack_delete=False, enabled=True):
        """A policy on stacks by id, or on the stacks with tags."""
        stacks = {'ids': list(stack_ids)} if stack_ids is not None else {}
        if tags is not None:
            stacks['tags'] = list(tags)
        body = {'policy': {
            'name': name, 'stacks': stacks,
            'schedule': {'cron': cron, 'timezone': timezone},
            'retention': retention or {},
            'keep_after_stack_delete': keep_after_stack_delete,
            'enabled': enabled}}
        return self._json('POST', 'snapshot_policies', body,
                          ok=(200, 201))['policy']

    def list_policies(self):
        return self._json('GET', 'snapshot_policies')['policies']

    def get_policy(self, policy_id):
        return self._json('GET', 'snapshot_policies/%s'
                          % _quote(policy_id))['policy']

    def find_policy(self, name_or_id):
        """A policy by id, or by its (unique) name."""
        try:
            return self.get_policy(name_or_id)
        except HTTPError as error:
            if error.status != 404:
                raise
        return self._one(self.list_policies(), name_or_id, 'policy')

    def _policy_id(self, policy):
        if isinstance(policy, dict):
            return policy['id']
        return self.find_policy(policy)['id']

    def update_policy(self, policy, **fields):
        """PATCH the fields given.

        Any of name, stacks, schedule, retention, keep_after_stack_delete,
        enabled.
        """
        return self._json('PATCH', 'snapshot_policies/%s' % _quote(
            self._policy_id(policy)), {'policy': fields})['policy']

    def delete_policy(self, policy):
        self.request('DELETE', 'snapshot_policies/%s' % _quote(
            self._policy_id(policy)), ok=(200, 202, 204))

    def run_policy(self, policy):
        """Run a policy now; the run, IN_PROGRESS."""
        return self._json('POST', 'snapshot_policies/%s/run' % _quote(
            self._policy_id(policy)), ok=(200, 201, 202))['run']

    def list_policy_runs(self, policy):
        """The policy's runs, newest first."""
        return self._json('GET', 'snapshot_policies/%s/runs' % _quote(
            self._policy_id(policy)))['runs']

    def prune_preview(self, policy):
        """What the policy's retention would prune now."""
        return self._json('GET', 'snapshot_policies/%s/prune_preview'
                          % _quote(self._policy_id(policy)))
