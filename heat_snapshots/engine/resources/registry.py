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

"""Resource plugins by resource type, from the heat_snapshots.resources
entry point group, so that another package can add types."""

import threading

from oslo_log import log as logging
import stevedore

from heat_snapshots.engine.resources import base

LOG = logging.getLogger(__name__)
NAMESPACE = 'heat_snapshots.resources'

_lock = threading.Lock()
_plugins = None


def _load():
    plugins = {}

    def on_failure(manager, entrypoint, error):
        LOG.error('Could not load resource plugin %s: %s',
                  entrypoint.name, error)

    manager = stevedore.ExtensionManager(
        NAMESPACE, invoke_on_load=False,
        on_load_failure_callback=on_failure)
    for extension in manager:
        plugins[extension.name] = extension.plugin
    LOG.debug('Resource plugins: %s', ', '.join(sorted(plugins)))
    return plugins


def plugins():
    global _plugins
    with _lock:
        if _plugins is None:
            _plugins = _load()
        return _plugins


def register(resource_type, plugin_class):
    """Add or replace a plugin at run time (tests, embedding)."""
    plugins()[resource_type] = plugin_class


def plugin_class(resource_type):
    """The plugin for ``resource_type``; types without one keep their data."""
    return plugins().get(resource_type, base.ResourcePlugin)
