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

from oslo_context import context
from oslo_db.sqlalchemy import enginefacade

from heat_snapshots.common import policy


@enginefacade.transaction_context_provider
class RequestContext(context.RequestContext):
    """The caller of a request, carried from the API over RPC to the engine.

    ``is_admin`` follows the policy rule ``context_is_admin`` so that an
    operator's Heat policy file decides who is an admin here too.

    :ivar trust_id: the Keystone trust the engine works on for the
        caller (common/trusts.py), as Heat's context carries it; None when
        the engine uses the caller's token or the service user.
    """

    def __init__(self, is_admin=None, trust_id=None, **kwargs):
        super().__init__(**kwargs)
        if is_admin is None:
            is_admin = policy.check_is_admin(self)
        self.is_admin = is_admin
        self.trust_id = trust_id

    def can(self, action, target=None, fatal=True):
        """Whether the policy allows ``action``; raises when ``fatal``."""
        if target is None:
            target = {'project_id': self.project_id,
                      'user_id': self.user_id}
        return policy.authorize(self, action, target, do_raise=fatal)

    def to_dict(self):
        values = super().to_dict()
        values['is_admin'] = self.is_admin
        # The engine records the user's name as a stack's owner.
        values['user_name'] = self.user_name
        values['trust_id'] = self.trust_id
        return values

    @classmethod
    def from_dict(cls, values, **kwargs):
        kwargs.setdefault('is_admin', values.get('is_admin'))
        kwargs.setdefault('user_name', values.get('user_name'))
        kwargs.setdefault('trust_id', values.get('trust_id'))
        return super().from_dict(values, **kwargs)


def get_admin_context():
    """A context for the engine's own work (recovery, reconciling)."""
    return RequestContext(is_admin=True, overwrite=False)


def service_context(project_id, request_id=None, trust_id=None):
    """The engine's own context acting in ``project_id``.

    For work no caller waits on (a delete resumed by another engine, the
    stack follower, the reconciler): it carries no token, so the clients
    of common.clients act on ``trust_id``, the trust stored with the
    operation, or else with the service user of
    [heat_snapshots_service_auth] scoped to ``project_id``. A context
    without a project makes them fail (NoProjectScope) rather than act
    project-less.

    :param request_id: the request id to log under (``req-<uuid>``);
        a new one by default.
    """
    kwargs = {}
    if request_id:
        kwargs['request_id'] = request_id
    return RequestContext(is_admin=True, project_id=project_id,
                          overwrite=False, trust_id=trust_id, **kwargs)
