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

"""heat-snapshots-status: is this deployment ready for the new code?

``heat-snapshots-status upgrade check`` reads heat.conf as the services do
and checks, with oslo.upgradecheck, that the database schema is at the
package's head and that the configuration is one the services will run
with. Exit status 0 means success, 1 a warning, 2 a failure::

    heat-snapshots-status --config-file /etc/heat/heat.conf upgrade check
"""

import sys
from urllib import parse

from oslo_upgradecheck import common_checks
from oslo_upgradecheck import upgradecheck
import requests

from heat_snapshots.api import auth_check
from heat_snapshots.common import rpc
from heat_snapshots import conf
from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration
from heat_snapshots.engine.stacks import base as stacks_base

CONF = conf.CONF

Code = upgradecheck.Code
Result = upgradecheck.Result

SCHEMA_BEHIND = ('Database schema is at %(current)s, head is %(head)s: run '
                 'heat-snapshots-manage db sync')

IN_PROCESS_TRANSPORT = (
    '[DEFAULT] transport_url is the in-process transport (%s), which only '
    'heat-snapshots-all (API and engine in one process) can use. '
    'heat-snapshots-api and heat-snapshots-engine run as separate services '
    'need a message broker: set transport_url (Heat\'s RabbitMQ works).')

# heat_snapshots.api.paste's header, not imported (see NOAUTH).
FILTER_HEADER = 'X-Heat-Snapshots-Filter'
HEAT_ENDPOINT_PROBE_TIMEOUT = 10

HEAT_ENDPOINT_FILTERED = (
    'The heat stack driver\'s Heat endpoint %s is a heat-api with the '
    'heat-snapshots filter: the engine would call back into a heat-api '
    'that waits for it (a deadlock: 503 EngineTimeout) and read the '
    'filter\'s states instead of Heat\'s; the engine refuses it. Point '
    '[heat_snapshots_heat] endpoint_override (or interface) at a heat-api '
    'without the filter, e.g. Heat\'s internal endpoint.')

HEAT_PUBLIC_INTERFACE = (
    '[heat_snapshots_heat] interface = public: the engine calls the heat-api '
    'that clients call, where the heat-snapshots filter goes. Use interface '
    '= internal (or endpoint_override) with a heat-api pipeline without the '
    'filter.')


# Where the API may run, and the name each start-up refusal gives.
_ENTRY_POINTS = (
    (auth_check.SERVER, 'heat-snapshots-api'),
    (auth_check.WSGI, 'heat_snapshots.wsgi.api'),
    (auth_check.FILTER, 'heat-api\'s snapshot filter'),
)


class Checks(upgradecheck.UpgradeCommands):
    """The checks; each returns an upgradecheck.Result."""

    def __init__(self, conf=CONF):
        super().__init__()
        self.conf = conf

    def check(self):
        db_api.configure(self.conf)
        return super().check()

    def _check_database(self):
        """The schema must be at the head of the installed migrations."""
        try:
            current = migration.version()
        except Exception as e:
            return Result(Code.FAILURE,
                          'Cannot read the schema version of [database] '
                          'connection: %s' % e)
        head = migration.head()
        if current != head:
            return Result(Code.FAILURE, SCHEMA_BEHIND % {
                'current': current, 'head': head})
        return Result(Code.SUCCESS, 'Database schema is at head, %s.' % head)

    def _check_auth(self):
        """What heat-snapshots-api, the WSGI entry point and the heat-api
        filter would refuse to start with (auth_check.startup_problem).

        heat-snapshots-api's refusal fails the check; the others warn, as
        a deployment may not use them.
        """
        strategy = self.conf.heat_snapshots_api.auth_strategy
        refusals = {where: auth_check.startup_problem(self.conf, prog, where)
                    for where, prog in _ENTRY_POINTS}
        if strategy != auth_check.HEAT_API and refusals[auth_check.SERVER]:
            return Result(Code.FAILURE, refusals[auth_check.SERVER] +
                          ' It will refuse to start.')
        refused = [problem for problem in refusals.values() if problem]
        if strategy == auth_check.NOAUTH:
            refused.insert(0, 'auth_strategy = noauth: callers name their '
                           'own project and roles. Use keystone beside a '
                           'cloud.')
        if refused:
            return Result(Code.WARNING, ' '.join(refused))
        return Result(Code.SUCCESS)

    def _check_transport(self):
        if rpc.is_in_process(self.conf):
            return Result(Code.WARNING,
                          IN_PROCESS_TRANSPORT % self.conf.transport_url)
        return Result(Code.SUCCESS)

    def _check_stack_driver(self):
        """The configured stack driver's entry point must load and keep
        the stack driver contract.
        """
        name = self.conf.heat_snapshots.stack_driver
        try:
            stacks_base.driver_class(name)
        except Exception as e:
            return Result(Code.FAILURE,
                          '[heat_snapshots] stack_driver = %s cannot be '
                          'loaded from the %s entry point group: %s' % (
                              name, stacks_base.NAMESPACE, e))
        return Result(Code.SUCCESS, 'Stack driver %s loads.' % name)

    def _check_heat_endpoint(self):
        """The heat driver must not call a heat-api with our filter."""
        if self.conf.heat_snapshots.stack_driver != 'heat':
            return Result(Code.SUCCESS, 'The heat stack driver is not used.')
        options = self.conf.heat_snapshots_heat
        endpoint = options.endpoint_override
        if not endpoint:
            if options.interface == 'public':
                return Result(Code.WARNING, HEAT_PUBLIC_INTERFACE)
            return Result(Code.SUCCESS, 'Heat from the catalog, interface '
                          '%s.' % options.interface)
        url = parse.urlparse(endpoint.replace('%(project_id)s', 'probe'))
        root = '%s://%s/' % (url.scheme, url.netloc)
        try:
            response = requests.get(root,
                                    timeout=HEAT_ENDPOINT_PROBE_TIMEOUT)
        except requests.RequestException as e:
            return Result(Code.WARNING, 'Heat endpoint %s did not answer '
                          '(%s): could not check that it is a heat-api '
                          'without the heat-snapshots filter.' % (root, e))
        if response.headers.get(FILTER_HEADER):
            return Result(Code.WARNING, HEAT_ENDPOINT_FILTERED % endpoint)
        return Result(Code.SUCCESS, 'Heat endpoint %s has no heat-snapshots '
                      'filter.' % endpoint)

    _upgrade_checks = (
        ('Database schema', _check_database),
        ('API authentication', _check_auth),
        ('Message transport', _check_transport),
        ('Stack driver', _check_stack_driver),
        ('Heat endpoint of the heat driver', _check_heat_endpoint),
        ('Policy File JSON to YAML Migration',
         (common_checks.check_policy_json, {'conf': CONF})),
    )


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    return upgradecheck.main(CONF, project='heat', upgrade_command=Checks(),
                             argv=argv)


if __name__ == '__main__':
    sys.exit(main())
