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

"""The openstacksdk modules we use, each imported when first used.

``import openstack`` imports the whole SDK: about 460 modules, and 11 MB
more memory in an engine (benchmarks/README.rst, twenty-first pass). Only
a process that talks to Nova, Cinder or Glance needs it; an API worker,
or an engine whose stacks hold no such resource, does not, yet loads the
resource plugins (and so their modules) all the same. Our modules name
the SDK through this one (``sdk.exceptions.NotFoundException``) and never
import ``openstack`` themselves.
"""

import importlib

_MODULES = {
    'connection': 'openstack.connection',
    'exceptions': 'openstack.exceptions',
    'server': 'openstack.compute.v2.server',
    'utils': 'openstack.utils',
}


def __getattr__(name):
    try:
        path = _MODULES[name]
    except KeyError:
        raise AttributeError('module %r has no attribute %r'
                             % (__name__, name)) from None
    module = importlib.import_module(path)
    # Found as a plain attribute from now on.
    globals()[name] = module
    return module
