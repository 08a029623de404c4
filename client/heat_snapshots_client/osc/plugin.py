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

"""The openstackclient plugin of heat-snapshots.

Its own API name (``orchestration_snapshots``), so that it loads beside
python-heatclient's ``orchestration`` plugin; its commands are named so
that none is also one of python-heatclient's (see the README).
"""

from osc_lib import utils

from heat_snapshots_client import client

API_NAME = 'orchestration_snapshots'
API_VERSION_OPTION = 'os_orchestration_snapshots_api_version'
DEFAULT_API_VERSION = '1'
API_VERSIONS = {'1': 'heat_snapshots_client.client.Client'}


def _option(instance, name):
    config = getattr(getattr(instance, '_cli_options', None), 'config', None)
    return (config or {}).get(name)


def make_client(instance):
    """The plugin's client.

    On the OSC session, at the catalog's endpoint or at
    ``--os-heat-snapshots-endpoint``.
    """
    return client.Client(
        instance.session,
        endpoint=_option(instance, 'heat_snapshots_endpoint'),
        service_type=(_option(instance, 'heat_snapshots_service_type') or
                      client.SERVICE_TYPE),
        interface=instance.interface,
        region_name=instance.region_name)


def build_option_parser(parser):
    """The plugin's global options."""
    parser.add_argument(
        '--os-orchestration-snapshots-api-version',
        metavar='<version>',
        default=utils.env('OS_ORCHESTRATION_SNAPSHOTS_API_VERSION',
                          default=DEFAULT_API_VERSION),
        help='heat-snapshots API version, default=%s '
             '(Env: OS_ORCHESTRATION_SNAPSHOTS_API_VERSION)'
             % DEFAULT_API_VERSION)
    parser.add_argument(
        '--os-heat-snapshots-endpoint',
        metavar='<url>',
        default=utils.env('OS_HEAT_SNAPSHOTS_ENDPOINT'),
        help='heat-snapshots\' own endpoint, instead of the catalog\'s '
             'orchestration one (Env: OS_HEAT_SNAPSHOTS_ENDPOINT)')
    parser.add_argument(
        '--os-heat-snapshots-service-type',
        metavar='<type>',
        default=utils.env('OS_HEAT_SNAPSHOTS_SERVICE_TYPE',
                          default=client.SERVICE_TYPE),
        help='The catalog\'s service type of the snapshot API, default=%s '
             '(Env: OS_HEAT_SNAPSHOTS_SERVICE_TYPE)' % client.SERVICE_TYPE)
    return parser
