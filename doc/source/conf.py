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

"""Sphinx configuration of the heat-snapshots documentation."""

import shutil

from sphinx import errors

extensions = [
    'sphinx.ext.graphviz',
    'openstackdocstheme',
    'oslo_config.sphinxconfiggen',
    'oslo_config.sphinxext',
    'oslo_policy.sphinxext',
    'oslo_policy.sphinxpolicygen',
]

# The samples are generated at build time so they never go stale; they land
# in _static/ and are offered for download from the configuration pages.
config_generator_config_file = (
    '../../etc/heat-snapshots/heat-snapshots-config-generator.conf')
sample_config_basename = '_static/heat-snapshots'
policy_generator_config_file = (
    '../../etc/heat-snapshots/heat-snapshots-policy-generator.conf')
sample_policy_basename = '_static/heat-snapshots'

openstackdocs_repo_name = 'openstack/heat-snapshots'
openstackdocs_bug_project = 'heat-snapshots'
openstackdocs_bug_tag = 'doc'
openstackdocs_auto_name = False

project = 'heat-snapshots'
copyright = 'heat-snapshots developers'

source_suffix = '.rst'
master_doc = 'index'
# The example plugin is a package of its own; its README is not a page.
exclude_patterns = ['_build', 'contributor/example_plugin']
pygments_style = 'native'

html_theme = 'openstackdocs'
html_static_path = ['_static']

# Diagrams are drawn with Graphviz's dot, a system package that bindep.txt
# lists in the doc profile. Without it every diagram would be a warning
# (an error with -W) late in the build: say so at once.
graphviz_dot = 'dot'
graphviz_output_format = 'svg'
if shutil.which(graphviz_dot) is None:
    raise errors.ConfigError(
        "Graphviz's %r is not installed; the diagrams need it. Install the "
        "doc profile's system packages: `bindep -b doc` lists the missing "
        "ones (graphviz; Debian/Ubuntu: apt-get install graphviz)."
        % graphviz_dot)

man_pages = [
    ('cli/heat-snapshots-manage', 'heat-snapshots-manage',
     'heat-snapshots database management', ['heat-snapshots developers'], 1),
    ('cli/heat-snapshots-status', 'heat-snapshots-status',
     'heat-snapshots upgrade checks', ['heat-snapshots developers'], 1),
]
