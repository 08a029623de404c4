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

"""What a stack name may be, as Heat has it: one rule for the API's
schema and the stack store.
"""

import re

MAX_LENGTH = 255

# A letter, then letters, digits, "_", "-" and ".".
PATTERN = r'[a-zA-Z][a-zA-Z0-9_.-]*'

# The rule as a jsonschema pattern: jsonschema searches with Python's re,
# where "$" also matches before a final newline: "(?!\n)" keeps "name\n"
# out.
SCHEMA_PATTERN = '^%s$(?!\n)' % PATTERN

_NAME = re.compile(PATTERN)


def is_valid(name):
    """Whether the whole of ``name`` is a stack name (no trailing
    newline, at most MAX_LENGTH characters).
    """
    return (isinstance(name, str) and len(name) <= MAX_LENGTH and
            _NAME.fullmatch(name) is not None)
