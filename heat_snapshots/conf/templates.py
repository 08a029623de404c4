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

"""Limits on what a template, environment or parameter may cost.

A request body is small (oslo.middleware's max_request_body_size), but
what it describes need not be: YAML aliases, nested functions and
constraint patterns turn a few hundred bytes into gigabytes or minutes of
CPU. Every refusal is a 400 naming the option that set the limit.
"""

from oslo_config import cfg

GROUP = 'heat_snapshots_templates'

opts = [
    cfg.IntOpt('max_template_size',
               default=524288,
               min=1,
               help='Largest template, environment or parameter value '
                    'given as text, in bytes; also the largest parsed '
                    'template or environment, measured as the length of '
                    'its strings and keys. Heat\'s own default.'),
    cfg.IntOpt('max_document_nodes',
               default=50000,
               min=1,
               help='Most values (maps, lists, strings, numbers; a map\'s '
                    'keys included) a parsed template, environment, '
                    'files section or JSON parameter may hold, every '
                    'repetition counted.'),
    cfg.IntOpt('max_document_depth',
               default=100,
               min=1,
               help='Deepest nesting of maps and lists in a parsed '
                    'template, environment or JSON parameter.'),
    cfg.IntOpt('max_files_size',
               default=1048576,
               min=0,
               help='Largest total size of a stack\'s "files" (names and '
                    'contents), in bytes.'),
    cfg.IntOpt('max_pattern_length',
               default=1024,
               min=1,
               help='Longest "allowed_pattern" of a parameter constraint, '
                    'in characters.'),
    cfg.IntOpt('max_pattern_value_length',
               default=65536,
               min=0,
               help='Longest parameter value an "allowed_pattern" '
                    'constraint is matched against, in characters; longer '
                    'values are refused.'),
    cfg.IntOpt('max_pattern_memory',
               default=8388608,
               min=65536,
               help='Memory, in bytes, the regular expression engine (RE2) '
                    'may use for one "allowed_pattern"; a pattern that '
                    'needs more is refused.'),
    cfg.IntOpt('max_function_output_size',
               default=1048576,
               min=1,
               help='Largest value one intrinsic function (str_replace, '
                    'list_join, get_attr, get_param, get_file) may '
                    'produce, in bytes of its JSON form.'),
    cfg.IntOpt('max_stack_function_output_size',
               default=8388608,
               min=1,
               help='Largest total output of the intrinsic functions '
                    'computed for one stack in one create, update, restore '
                    'or delete, in bytes of their JSON form.'),
    cfg.IntOpt('max_nested_stack_depth',
               default=5,
               min=0,
               help='Deepest nesting of stacks in the local stack store: '
                    'a ResourceGroup, a template resource or an '
                    'OS::Heat::Stack owns a nested stack one level down. '
                    'Heat\'s max_nested_stack_depth and its default.'),
    cfg.IntOpt('max_resources_per_stack',
               default=1000,
               min=1,
               help='Most resources one stack of the local stack store may '
                    'have, those of its nested stacks (a ResourceGroup\'s '
                    'members and what is inside them) included. Heat\'s '
                    'max_resources_per_stack and its default.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
