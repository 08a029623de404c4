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

"""oslo.messaging's [DEFAULT] options, shared with Heat.

With no configuration the transport is the in-process one, which only
heat-snapshots-all (API and engine in one process) can use; a deployment
sets ``[DEFAULT] transport_url`` (Heat's heat.conf already does).

The exchange defaults to Heat's, ``heat``, as Heat sets it in its code: the
heat-api paste filter sends our RPC from inside heat-api, and our engines
must listen where it sends whatever heat.conf says.
"""

import oslo_messaging
from oslo_messaging import opts as messaging_opts

IN_PROCESS_TRANSPORT_URL = 'fake:/'
CONTROL_EXCHANGE = 'heat'


def _default_opts():
    return dict(messaging_opts.list_opts())[None]


def register_opts(conf):
    # Before the options are copied: oslo.messaging registers its own
    # objects later, and refuses them if they differ from ours.
    oslo_messaging.set_transport_defaults(control_exchange=CONTROL_EXCHANGE)
    conf.register_opts(_default_opts())
    set_defaults(conf)


def set_defaults(conf):
    oslo_messaging.set_transport_defaults(control_exchange=CONTROL_EXCHANGE)
    conf.set_default('transport_url', IN_PROCESS_TRANSPORT_URL)


def list_opts():
    # The generator lists oslo.messaging's own options from its namespace.
    return {}
