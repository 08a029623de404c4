"""What the plugins of cloud resources (Cinder, Nova) share.

They reach the cloud with an openstacksdk connection made for the caller
(or the service user), and list their artifacts for the reconciler only
when credentials to do so are configured.
"""

from oslo_log import log as logging

from heat_snapshots.common import clients
from heat_snapshots.engine.resources import base

LOG = logging.getLogger(__name__)


class CloudResourcePlugin(base.ResourcePlugin):
    """A plugin whose artifacts live in an OpenStack service.

    Subclasses set ``artifact_kind`` (for logs) and implement
    ``_list_artifacts(context)`` (dicts with ``id`` and ``snapshot_id``)
    and ``_delete_artifact(connection, artifact_id)``.
    """

    artifact_kind = 'artifacts'

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._connection = None

    @property
    def connection(self):
        if self._connection is None:
            self._connection = clients.connection(self.context, self.conf)
        return self._connection

    @classmethod
    def list_artifacts(cls, context):
        """(artifact id, snapshot id) pairs for the reconciler.

        None when no service credentials are configured, or the listing
        failed: the reconciler then leaves this type alone.
        """
        if not clients.can_act_for(context, base.CONF):
            return None
        try:
            artifacts = cls._list_artifacts(context)
        except Exception:
            LOG.exception('Could not list the %s of heat-snapshots',
                          cls.artifact_kind)
            return None
        return [(artifact['id'], artifact['snapshot_id'])
                for artifact in artifacts]

    @classmethod
    def delete_artifact(cls, context, artifact_id):
        cls._delete_artifact(clients.connection(context, base.CONF),
                             artifact_id)

    @classmethod
    def _list_artifacts(cls, context):
        raise NotImplementedError()

    @classmethod
    def _delete_artifact(cls, connection, artifact_id):
        raise NotImplementedError()
