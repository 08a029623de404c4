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
(or the service user scoped to the context's project).

Every artifact is recorded in the artifact ledger (``hs_artifact_ledger``)
before it is asked of the cloud, under a name unique to that request
(``artifact_name``), and carries two markers (``markers``): this
installation's id and the snapshot's id, as Cinder backup metadata or
Glance image properties. An artifact is ours only when a ledger entry of
its project names it and the artifact has exactly that name, those
markers and, for an image, that owner (``ownership_problem``); nothing
else is ever deleted, and no name is ever parsed.

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

import collections
import functools

from oslo_log import log as logging
from oslo_utils import uuidutils

from heat_snapshots.common import clients
from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.common import sdk
from heat_snapshots.db import api as db_api
from heat_snapshots.engine.resources import base

LOG = logging.getLogger(__name__)

NAME_PREFIX = 'heat-snapshots-'
SNAPSHOT_ID_KEY = 'heat_snapshots_snapshot_id'
INSTALLATION_ID_KEY = 'heat_snapshots_installation_id'
# The resource's own name is cut to this in an artifact's name, so that
# the name fits the services' 255 characters whatever the nesting.
NAME_RESOURCE_LENGTH = 64

# What a service told of one artifact: its id, name, our markers as found
# on it ({key: value}) and the project owning it (None when not told).
Artifact = collections.namedtuple('Artifact',
                                  ('id', 'name', 'markers', 'owner'))


def artifact_name(snapshot_id, resource_name, request_id):
    """``heat-snapshots-<snapshot id>-<resource>-<request id>``.

    Unique to the request (``request_id`` is the ledger entry's id), so a
    lookup by name finds the one artifact asked for; read by people, never
    parsed: the ledger holds what it stands for.
    """
    leaf = resource_name.rpartition('/')[2][:NAME_RESOURCE_LENGTH]
    return '%s%s-%s-%s' % (NAME_PREFIX, snapshot_id, leaf, request_id)


def markers(entry):
    """The ownership markers an entry's artifact carries."""
    return {SNAPSHOT_ID_KEY: entry.snapshot_id,
            INSTALLATION_ID_KEY: entry.installation_id}


def ownership_problem(entry, artifact, owner_required):
    """Why ``artifact`` is not the one ``entry`` records, or None.

    :param owner_required: the service tells every artifact's owner (an
        image's), and it must be the entry's project.
    """
    if artifact.name != entry.name:
        return 'its name is %r, not %r' % (artifact.name, entry.name)
    for key, expected in sorted(markers(entry).items()):
        found = (artifact.markers or {}).get(key)
        if found != expected:
            return 'its %s is %r, not %r' % (key, found, expected)
    if (artifact.owner is not None or owner_required) and \
            artifact.owner != entry.project_id:
        return 'its owner is %s, not %s' % (artifact.owner,
                                            entry.project_id)
    return None


def unledgered_problem(artifact, snapshot_id, project_id, owner_required):
    """For an artifact a snapshot recorded before the ledger existed:
    why it is not provably that snapshot's, or None.
    """
    found = (artifact.markers or {}).get(SNAPSHOT_ID_KEY)
    if found != snapshot_id:
        return 'it has no ledger entry and its %s is %r, not %r' % (
            SNAPSHOT_ID_KEY, found, snapshot_id)
    if (artifact.owner is not None or owner_required) and \
            artifact.owner != project_id:
        return 'its owner is %s, not %s' % (artifact.owner, project_id)
    return None


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

    Subclasses set ``resource_type``, ``artifact_kind`` (for logs),
    ``service_name`` and ``artifact_service`` (for errors), ``data_key``
    (the artifact id's key in the resource's data) and ``owner_required``,
    and implement ``is_own_not_found(body)``, ``_get(conn, id)``,
    ``_find_by_name(conn, name, project_id)``, ``_describe(found)`` (an
    Artifact), ``_delete(conn, id)`` and ``_delete_error(found)``.
    """

    resource_type = None
    artifact_kind = 'artifacts'
    artifact_noun = 'artifact'
    service_name = 'The cloud'
    # The service that answers the lookups and deletes of artifacts.
    artifact_service = None
    data_key = None
    # Whether the service tells every artifact's owner (Glance does).
    owner_required = False

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
    def _service(cls):
        return cls.artifact_service or cls.service_name

    @classmethod
    def confirm_gone(cls, conn, error, owner_project_id, what):
        """Accept a NotFoundException as "gone" or raise ResourceFailure."""
        reason = not_gone_reason(conn, error, owner_project_id,
                                 cls.is_own_not_found)
        if reason is not None:
            LOG.warning('%s answered 404 for %s, which does not prove it '
                        'is gone: %s', cls._service(), what, reason)
            raise exception.ResourceFailure(
                reason='%s answered "not found" for %s, which does not '
                       'prove it is gone: %s' % (cls._service(), what,
                                                 reason))
        LOG.debug('%s was already gone', what)

    # --- the ledger ------------------------------------------------------

    def _record_intent(self):
        """The ledger entry of the artifact about to be asked for.

        Written (fenced) before the cloud is asked: an artifact made by
        work that loses its stack right after is still found, by name, in
        its project.
        """
        project_id = self.owner_project_id
        if not project_id:
            raise exception.ResourceFailure(
                reason='the project of snapshot %s is not known' %
                self.snapshot_id)
        entry_id = uuidutils.generate_uuid()
        return db_api.ledger_create(self.context, {
            'id': entry_id,
            'plugin': self.resource_type,
            'project_id': project_id,
            'name': artifact_name(self.snapshot_id, self.resource.name,
                                  entry_id),
            'snapshot_id': self.snapshot_id,
            'resource_name': self.resource.name,
            'installation_id': db_api.installation_id(self.context)})

    def _recorded(self, entry, artifact_id):
        db_api.ledger_set_artifact_id(self.context, entry.id, artifact_id)

    def _entry_of(self, artifact_id):
        return db_api.ledger_find_artifact(
            self.context, self.resource_type, self.owner_project_id,
            artifact_id)

    def _gone(self, artifact_id):
        entry = self._entry_of(artifact_id)
        if entry is not None:
            db_api.ledger_mark_deleted(self.context, entry.id)

    # --- lookups ---------------------------------------------------------

    @classmethod
    def lookup(cls, conn, project_id, artifact_id=None, name=None):
        """The artifact with this id (or this exact name) in ``project_id``.

        :returns: an Artifact, or None when the service proves that there
            is none.
        :raises: ResourceFailure when its answer proves nothing (see
            confirm_gone), or several artifacts have the name.
        """
        if artifact_id is not None:
            try:
                found = cls._get(conn, artifact_id)
            except sdk.exceptions.NotFoundException as error:
                cls.confirm_gone(conn, error, project_id,
                                 '%s %s' % (cls.artifact_noun, artifact_id))
                return None
            return cls._describe(found)
        scoped = clients.scoped_project_id(conn)
        if scoped != project_id:
            raise exception.ResourceFailure(
                reason='%s %s were looked for in project %s, not in their '
                       'project %s' % (cls.artifact_kind, name,
                                       scoped or '(none)', project_id))
        named = [cls._describe(found)
                 for found in cls._find_by_name(conn, name, project_id)]
        named = [artifact for artifact in named if artifact.name == name]
        if len(named) > 1:
            raise exception.ResourceFailure(
                reason='%s has %d %s named %s' % (
                    cls._service(), len(named), cls.artifact_kind, name))
        return named[0] if named else None

    def _ours_or_fail(self, artifact):
        """Raise ResourceFailure unless the snapshot's artifact is ours."""
        entry = self._entry_of(artifact.id)
        if entry is not None:
            problem = ownership_problem(entry, artifact,
                                        self.owner_required)
        else:
            problem = unledgered_problem(artifact, self.snapshot_id,
                                         self.owner_project_id,
                                         self.owner_required)
        if problem is not None:
            LOG.warning('%s %s is left alone, it is not provably ours: %s',
                        self.artifact_noun, artifact.id, problem)
            raise exception.ResourceFailure(
                reason='%s %s is not provably made by this heat-snapshots '
                       'for snapshot %s, so it is not deleted: %s' % (
                           self.artifact_noun.capitalize(), artifact.id,
                           self.snapshot_id, problem))

    # --- restore and clone -----------------------------------------------

    def restore_source(self, data):
        artifact_id = (data or {}).get(self.data_key)
        return {self.data_key: artifact_id} if artifact_id else None

    @cloud_call
    def check_restore_source(self, data):
        """:raises: ArtifactNotFound when the service proves the artifact
            gone; ResourceFailure when its answer proves nothing.
        """
        artifact_id = (data or {}).get(self.data_key)
        if not artifact_id:
            return
        if self.lookup(self.connection, self.owner_project_id,
                       artifact_id=artifact_id) is None:
            raise exception.ArtifactNotFound(
                artifact=self.artifact_noun.capitalize(),
                artifact_id=artifact_id, resource=self.resource.name,
                snapshot=self.snapshot_id)

    # --- the snapshot's delete ------------------------------------------

    @cloud_call
    def handle_delete_snapshot(self, data):
        artifact_id = (data or {}).get(self.data_key)
        if not artifact_id:
            return
        artifact = self.lookup(self.connection, self.owner_project_id,
                               artifact_id=artifact_id)
        if artifact is None:
            self._gone(artifact_id)
            return
        self._ours_or_fail(artifact)
        try:
            self._delete(self.connection, artifact_id)
        except sdk.exceptions.NotFoundException as error:
            self.confirm_gone(self.connection, error, self.owner_project_id,
                              '%s %s' % (self.artifact_noun, artifact_id))
            self._gone(artifact_id)

    @cloud_call
    def check_delete_snapshot_complete(self, data):
        artifact_id = (data or {}).get(self.data_key)
        if not artifact_id:
            return True
        try:
            found = self._get(self.connection, artifact_id)
        except sdk.exceptions.NotFoundException as error:
            self.confirm_gone(self.connection, error, self.owner_project_id,
                              '%s %s' % (self.artifact_noun, artifact_id))
            self._gone(artifact_id)
            return True
        if self._delete_done(found):
            self._gone(artifact_id)
            return True
        return False

    # --- the reconciler's -------------------------------------------------

    @classmethod
    def find_recorded(cls, context, entry):
        """The artifact of a ledger entry, looked for in its project.

        :returns: (Artifact or None when proven absent, why it is not ours
            or None).
        :raises: ResourceFailure when the service's answer proves nothing;
            CloudTimeout.
        """
        with clients.timeouts_as_errors(
                cls.service_name, clients.session_timeout(base.CONF)):
            conn = clients.connection(context, base.CONF)
            artifact = cls.lookup(
                conn, entry.project_id, artifact_id=entry.artifact_id,
                name=None if entry.artifact_id else entry.name)
        if artifact is None:
            return None, None
        return artifact, ownership_problem(entry, artifact,
                                           cls.owner_required)

    @classmethod
    def delete_recorded(cls, context, entry, artifact_id):
        """Delete an entry's artifact that find_recorded found ours.

        :raises: ResourceFailure when the service's answer does not prove
            that it is gone; CloudTimeout.
        """
        with clients.timeouts_as_errors(
                cls.service_name, clients.session_timeout(base.CONF)):
            conn = clients.connection(context, base.CONF)
            try:
                cls._delete(conn, artifact_id)
            except sdk.exceptions.NotFoundException as error:
                cls.confirm_gone(conn, error, entry.project_id,
                                 '%s %s' % (cls.artifact_noun, artifact_id))

    # --- what each service does -------------------------------------------

    @classmethod
    def _get(cls, conn, artifact_id):
        raise NotImplementedError()

    @classmethod
    def _find_by_name(cls, conn, name, project_id):
        raise NotImplementedError()

    @classmethod
    def _describe(cls, found):
        raise NotImplementedError()

    @classmethod
    def _delete(cls, conn, artifact_id):
        raise NotImplementedError()

    @staticmethod
    def _delete_done(found):
        """Whether an artifact still found is deleted.

        :raises: ResourceFailure when its delete failed.
        """
        return False
