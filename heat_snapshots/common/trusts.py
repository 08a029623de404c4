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

"""Keystone trusts: how work outlives the token of the request.

As Heat with ``deferred_auth_method = trusts``: a request that starts a
snapshot, a restore or a snapshot delete creates a trust from the caller
(trustor) to the user of ``[trustee]`` (heat-snapshots' service user),
delegating the caller's roles (or ``trusts_delegated_roles``) in the
caller's project, with impersonation. The trust's id travels with the
request's context, is stored with the operation (the stack's lock, or the
snapshot being deleted), and the engine works on tokens of the trust
(keystoneauth's password plugin of the trustee with ``trust_id``, which
gets a new token when the last one expires). The trust is deleted when
the operation ends, whatever its outcome, with a token of the trust
itself: the trustor's, by impersonation, which Keystone's policy allows.

With ``auth_strategy = noauth`` or ``deferred_auth_method = token`` no
trust is made and the engine acts with the caller's token as before.
"""

import contextlib

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from oslo_config import cfg
from oslo_log import log as logging

from heat_snapshots.common import exception
from heat_snapshots.conf import trusts as trusts_conf

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

APP_NAME = 'heat-snapshots'

# Options of a keystoneauth plugin that scope its token; a trust-scoped
# token has the trust's scope and no other.
_SCOPE_OPTIONS = ('project_id', 'project_name', 'project_domain_id',
                  'project_domain_name', 'domain_id', 'domain_name',
                  'system_scope', 'trust_id')


class MissingCredentialError(exception.Invalid):
    """Keystone refused the trust the request needs (Heat's error)."""

    msg_fmt = 'Missing required credential: %(required)s'


class TrustUnavailable(exception.ServiceUnavailable):
    """The trust could not be made for a reason that is not the caller's."""

    msg_fmt = ('Could not create the Keystone trust this request needs: '
               '%(reason)s')


def enabled(conf=CONF):
    """Whether requests delegate to the trustee with a trust."""
    return (conf.heat_snapshots_api.auth_strategy == 'keystone' and
            conf.deferred_auth_method == trusts_conf.TRUSTS)


def trustee_group(conf=CONF):
    """The group holding the trustee's credentials.

    ``[trustee]``, or ``[keystone_authtoken]`` when ``[trustee]`` has no
    auth_type (the service user that validates tokens, as Heat once did).
    """
    if conf[trusts_conf.TRUSTEE_GROUP].auth_type:
        return trusts_conf.TRUSTEE_GROUP
    ks_loading.register_auth_conf_options(conf, trusts_conf.FALLBACK_GROUP)
    if conf[trusts_conf.FALLBACK_GROUP].auth_type:
        return trusts_conf.FALLBACK_GROUP
    raise TrustUnavailable(
        reason='no trustee credentials: set auth_type, auth_url, username, '
               'password and user_domain_name in [%s]'
               % trusts_conf.TRUSTEE_GROUP)


def trustee_auth(conf=CONF, trust_id=None):
    """The trustee's keystoneauth plugin; scoped to ``trust_id`` if given.

    :raises: TrustUnavailable when no trustee is configured.
    """
    group = trustee_group(conf)
    overrides = {}
    if trust_id:
        names = {opt.dest for opt in
                 ks_loading.get_plugin_options(conf[group].auth_type)}
        if 'trust_id' not in names:
            raise TrustUnavailable(
                reason='the auth_type %s of [%s] cannot use a trust' % (
                    conf[group].auth_type, group))
        overrides = {name: None for name in _SCOPE_OPTIONS if name in names}
        overrides['trust_id'] = trust_id
    return ks_loading.load_auth_from_conf_options(conf, group, **overrides)


def session(auth, conf=CONF):
    """A keystoneauth session on ``auth`` with the clients' timeout."""
    return ks_session.Session(
        auth=auth, timeout=conf.heat_snapshots_clients.timeout,
        app_name=APP_NAME)


def _identity_url(auth):
    url = (getattr(auth, 'auth_url', None) or '').rstrip('/')
    if not url:
        raise TrustUnavailable(reason='the trustee has no auth_url')
    return url if url.endswith('/v3') else url + '/v3'


def _keystone_message(response):
    try:
        return response.json()['error']['message']
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def create(context, conf=CONF):
    """Create a trust from ``context``'s caller to the trustee.

    :returns: the trust's id.
    :raises: MissingCredentialError when Keystone refuses to delegate the
        roles; TrustUnavailable when Keystone cannot be asked.
    """
    roles = list(conf.trusts_delegated_roles or context.roles or ())
    trustee = trustee_auth(conf)
    url = _identity_url(trustee) + '/OS-TRUST/trusts'
    ks = session(trustee, conf)
    try:
        trustee_id = trustee.get_user_id(ks)
        response = ks.post(
            url, raise_exc=False,
            auth=token_endpoint.Token(None, context.auth_token),
            json={'trust': {
                'trustor_user_id': context.user_id,
                'trustee_user_id': trustee_id,
                'project_id': context.project_id,
                'impersonation': True,
                'roles': [{'name': name} for name in roles]}})
    except ks_exc.ClientException as error:
        # The details (Keystone's address) are for the operator's log.
        LOG.warning('Could not create a trust for request %s: %s',
                    context.request_id, error)
        raise TrustUnavailable(
            reason='Keystone could not be asked (%s; request %s, see the '
                   'API log)' % (type(error).__name__, context.request_id))
    if response.status_code in (401, 403, 404):
        # The caller lacks a role to delegate, or may not delegate.
        LOG.info('Keystone refused a trust of roles %s in project %s for '
                 'request %s: %s %s', roles, context.project_id,
                 context.request_id, response.status_code,
                 _keystone_message(response))
        raise MissingCredentialError(
            required='roles %s (Keystone refused to delegate them to '
                     'heat-snapshots: %s)' % (', '.join(roles) or '(none)',
                                              _keystone_message(response)))
    if response.status_code != 201:
        raise TrustUnavailable(reason='Keystone answered %s: %s' % (
            response.status_code, _keystone_message(response)))
    trust_id = response.json()['trust']['id']
    LOG.info('Trust %s created for request %s: user %s delegates roles %s '
             'in project %s to user %s', trust_id, context.request_id,
             context.user_id, ', '.join(roles), context.project_id,
             trustee_id)
    return trust_id


def delete(trust_id, conf=CONF, auth=None, what='an operation'):
    """Delete a trust with a token of the trust itself.

    Keystone lets the trustor delete a trust; the trustee acts as the
    trustor through it (impersonation). A trust already gone is fine.
    Never raises: a trust that stays is logged with how to remove it.

    :param auth: the trust-scoped plugin of the work that used it.
    :returns: whether the trust is gone.
    """
    try:
        auth = auth or trustee_auth(conf, trust_id)
        ks = session(auth, conf)
        access = auth.get_access(ks)
        response = ks.delete(
            '%s/OS-TRUST/trusts/%s' % (_identity_url(auth), trust_id),
            raise_exc=False)
    except ks_exc.NotFound:
        LOG.info('Trust %s of %s was already gone', trust_id, what)
        return True
    except Exception as error:
        LOG.warning('Could not delete trust %s of %s: %s; an admin can '
                    'remove it with "openstack trust delete %s"', trust_id,
                    what, error, trust_id)
        return False
    if response.status_code in (204, 404):
        LOG.info('Trust %s of %s deleted, with a token of the trust '
                 '(user %s, project %s, token expires %s)', trust_id,
                 what, access.user_id, access.project_id,
                 access.expires.isoformat())
        return True
    LOG.warning('Could not delete trust %s of %s: Keystone answered %s: '
                '%s; an admin can remove it with "openstack trust delete '
                '%s"', trust_id, what, response.status_code,
                _keystone_message(response), trust_id)
    return False


@contextlib.contextmanager
def delegated(context, conf=CONF):
    """Give ``context`` a trust for the operation the block starts.

    The trust is deleted again (with the caller's token, still valid) when
    the block raises: no operation took it. Without trusts, the context is
    left as it is.

    :raises: MissingCredentialError, TrustUnavailable before the block.
    """
    if not enabled(conf) or not getattr(context, 'auth_token', None):
        yield context
        return
    context.trust_id = create(context, conf)
    try:
        yield context
    except Exception:
        _delete_unused(context, conf)
        raise


def _delete_unused(context, conf):
    trust_id = context.trust_id
    try:
        ks = session(token_endpoint.Token(None, context.auth_token), conf)
        url = '%s/OS-TRUST/trusts/%s' % (
            _identity_url(trustee_auth(conf)), trust_id)
        response = ks.delete(url, raise_exc=False)
        if response.status_code not in (204, 404):
            raise TrustUnavailable(reason='Keystone answered %s' %
                                   response.status_code)
        LOG.debug('Trust %s of request %s deleted: the request started '
                  'nothing', trust_id, context.request_id)
    except Exception as error:
        LOG.warning('Could not delete trust %s of failed request %s: %s',
                    trust_id, context.request_id, error)
