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

"""What the plugins of cloud resources (Cinder, Nova) share.

They reach the cloud with an openstacksdk connection made for the caller
(or the service user scoped to the context's project), and list their
artifacts for the reconciler only when credentials to do so are
configured.

Every call has the sessions' timeout ([heat_snapshots_clients] timeout);
one that runs out raises CloudTimeout (a ServiceUnavailable) naming the
service.

"Not found" is proof that an artifact is gone only when the lookup ran in
the project that owns it (the snapshot's project) and the answer is the
service's own JSON fault. A 404 seen from another project (or with no
project) can mean "not yours"; an HTML 404 page comes from a proxy or a
wrong endpoint. Both raise ResourceFailure, so the delete fails, can be
retried, and nothing is recorded as deleted.
"""

import functools

from oslo_log import log as logging

from heat_snapshots.common import clients
from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine.resources import base

LOG = logging.getLogger(__name__)


def cloud_call(function):
    """Run a plugin method with the cloud's timeouts as clear errors."""

    @functools.wraps(function)
    def wrapper(self_or_cls, *args, **kwargs):
        conf = getattr(self_or_cls, 'conf', None) or base.CONF
        with clients.timeouts_as_errors(self_or_cls.service_name,
                                        clients.session_timeout(conf)):
            return function(self_or_cls, *args, **kwargs)
    return wrapper


def json_body(response):
    """The JSON body of a response, None unless it is (and says) JSON."""
    content_type = (response.headers.get('Content-Type') or '').lower()
    if content_type and 'json' not in content_type:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def not_gone_reason(conn, error, owner_project_id, is_own_not_found):
    """Why a "not found" does not prove an artifact gone, or None.

    :param conn: the connection the lookup used.
    :param error: openstacksdk's NotFoundException.
    :param owner_project_id: the project that owns the artifact (the
        snapshot's).
    :param is_own_not_found: callable telling whether a decoded JSON body
        is the service's own "not found" fault.
    """
    response = getattr(error, 'response', None)
    if response is None or response.status_code != 404:
        return 'no 404 answer from the service'
    if not owner_project_id:
        return 'the project that owns it is not known'
    scoped = clients.scoped_project_id(conn)
    if scoped != owner_project_id:
        return 'the lookup ran in project %s, not in its project %s' % (
            scoped or '(none)', owner_project_id)
    body = json_body(response)
    if body is None or not is_own_not_found(body):
        return 'the 404 answer (%s) is not the service\'s own fault' % (
            response.headers.get('Content-Type') or 'no content type')
    return None


class CloudResourcePlugin(base.ResourcePlugin):
    """A plugin whose artifacts live in an OpenStack service.

    Subclasses set ``artifact_kind`` (for logs), ``service_name`` and
    ``artifact_service`` (for errors) and implement ``is_own_not_found(body)``,
    ``_list_artifacts(context)`` (dicts with ``id``, ``snapshot_id`` and
    ``project_id``, the owner or None) and
    ``_delete_artifact(connection, artifact_id, owner_project_id)``.
    """

    artifact_kind = 'artifacts'
    service_name = 'The cloud'
    # The service that answers the lookups and deletes of artifacts.
    artifact_service = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._connection = None

    @property
    def connection(self):
        if self._connection is None:
            self._connection = clients.connection(self.context, self.conf)
        return self._connection

    @property
    def owner_project_id(self):
        """The project that owns the snapshot's artifacts.

        The stack's project; for a snapshot whose stack is gone, the
        snapshot's recorded project.
        """
        project_id = getattr(self.stack, 'project_id', None)
        if project_id:
            return project_id
        try:
            snapshot = db_api.snapshot_get(hs_context.get_admin_context(),
                                           self.snapshot_id)
        except exception.SnapshotIdNotFound:
            return None
        return snapshot.project_id

    @staticmethod
    def is_own_not_found(body):
        """Whether a decoded 404 body is the service's own fault."""
        return False

    @classmethod
    def confirm_gone(cls, conn, error, owner_project_id, what):
        """Accept a NotFoundException as "gone" or raise ResourceFailure."""
        reason = not_gone_reason(conn, error, owner_project_id,
                                 cls.is_own_not_found)
        service = cls.artifact_service or cls.service_name
        if reason is not None:
            LOG.warning('%s answered 404 for %s, which does not prove it '
                        'is gone: %s', service, what, reason)
            raise exception.ResourceFailure(
                reason='%s answered "not found" for %s, which does not '
                       'prove it is gone: %s' % (service, what, reason))
        LOG.debug('%s was already gone', what)

    def _confirm_gone(self, error, what):
        self.confirm_gone(self.connection, error, self.owner_project_id,
                          what)

    @classmethod
    def list_artifacts(cls, context):
        """(artifact id, snapshot id, project id) for the reconciler.

        The project id is the artifact's owner, None if unknown. None
        instead of a list when no service credentials are configured, or
        the listing failed: the reconciler then leaves this type alone.
        """
        if not clients.can_act_for(context, base.CONF):
            return None
        try:
            with clients.timeouts_as_errors(
                    cls.service_name, clients.session_timeout(base.CONF)):
                artifacts = cls._list_artifacts(context)
        except Exception:
            LOG.exception('Could not list the %s of heat-snapshots',
                          cls.artifact_kind)
            return None
        return [(artifact['id'], artifact['snapshot_id'],
                 artifact.get('project_id'))
                for artifact in artifacts]

    @classmethod
    def delete_artifact(cls, context, artifact_id):
        """Delete an artifact of ``context``'s project (its owner).

        :raises: ResourceFailure when the service's answer does not prove
            that the artifact is gone; CloudTimeout.
        """
        with clients.timeouts_as_errors(
                cls.service_name, clients.session_timeout(base.CONF)):
            cls._delete_artifact(clients.connection(context, base.CONF),
                                 artifact_id,
                                 getattr(context, 'project_id', None))

    @classmethod
    def _list_artifacts(cls, context):
        raise NotImplementedError()

    @classmethod
    def _delete_artifact(cls, connection, artifact_id, owner_project_id):
        raise NotImplementedError()
