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

"""Sphinx configuration of the heat-snapshots API reference."""

extensions = [
    'os_api_ref',
    'openstackdocstheme',
]

openstackdocs_repo_name = 'openstack/heat-snapshots'
openstackdocs_bug_project = 'heat-snapshots'
openstackdocs_bug_tag = 'api-ref'
openstackdocs_auto_name = False

project = 'heat-snapshots API Reference'
copyright = 'heat-snapshots developers'

source_suffix = '.rst'
master_doc = 'index'
exclude_patterns = []
pygments_style = 'native'

html_theme = 'openstackdocs'
# The OpenAPI document of the same calls, published beside the pages
# (the functional tests check the service against it).
html_extra_path = ['openapi.yaml']
html_theme_options = {
    'sidebar_mode': 'toc',
}
