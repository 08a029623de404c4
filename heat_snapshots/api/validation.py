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

"""Request bodies: JSON parsing and jsonschema validation.

Heat's answers are kept where Heat gives one (the generic 400 for a body
that is not a JSON object, the JSON error text for malformed JSON); where
Heat fails with a 500 we answer a 400 that says what is wrong.
"""

import json

import jsonschema

from heat_snapshots.common import exception
from heat_snapshots.common import template_format

_PECAN_JSON_TYPES = ('application/json', 'application/javascript')

_FORM_TYPES = ('application/x-www-form-urlencoded', 'multipart/form-data')

# The deepest nesting of objects and lists a body may have. Python's JSON
# and YAML parsers, and the engine's template functions, recurse once or
# more per level and fail past about a thousand; templates nest a few.
MAX_DEPTH = 100

_JSON_TYPE_NAMES = {
    'object': 'an object', 'array': 'a list', 'string': 'a string',
    'integer': 'an integer', 'number': 'a number', 'boolean': 'a boolean',
    'null': 'null',
}


def _has_body(request):
    return bool(request.content_length) or \
        'Transfer-Encoding' in request.headers


def json_body(request, required=True):
    """The request body as a dict.

    Heat parses the body as JSON whatever its Content-Type, except form
    data, so text/plain with a JSON body is fine.

    :returns: the body, or None when there is none and it is not required.
    :raises: BadRequest for no body (when required), form data, malformed
        JSON or JSON that is not an object.
    """
    if request.content_type in _FORM_TYPES:
        raise exception.BadRequest()
    if not _has_body(request):
        if required:
            raise exception.BadRequest()
        return None
    raw = request.body
    if not raw and not required:
        return None
    try:
        body = json.loads(raw)
    except ValueError as e:
        raise exception.BadRequest(str(e))
    except RecursionError:
        raise exception.BadRequest(_TOO_DEEP % 'request body')
    if not isinstance(body, dict):
        raise exception.BadRequest()
    check_document(body)
    return body


_TOO_DEEP = 'Invalid %%s: nested deeper than %d levels.' % MAX_DEPTH


def _check_text(text, what):
    if '\x00' in text:
        # PostgreSQL stores no NUL in text; refuse it everywhere alike.
        raise exception.BadRequest(
            'Invalid %s: a string contains a NUL character.' % what)
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        # JSON's \ud83d escapes decode to lone surrogates, which no
        # database stores.
        raise exception.BadRequest(
            'Invalid %s: a string is not valid Unicode (a lone surrogate).'
            % what)


def _too_many(what, limit):
    message = ('The %s has more than %d values '
               '(heat_snapshots_templates.max_document_nodes).'
               % (what, limit))
    if what == 'template':
        return exception.InvalidTemplate(reason=message)
    return exception.Invalid(message=message)


def check_document(document, what='request body'):
    """Check a parsed body or template before anything recurses into it.

    Values are counted as they are met, a value shared by several parents
    (what YAML aliases make) each time: the check stops after
    [heat_snapshots_templates] max_document_nodes steps whatever the
    document would expand to.

    :raises: BadRequest when it nests deeper than MAX_DEPTH or holds a
        string that is not valid Unicode; InvalidTemplate (a template) or
        Invalid with more than max_document_nodes values.
    """
    for value, depth in template_format.walk(
            document, lambda limit: _too_many(what, limit)):
        if isinstance(value, str):
            _check_text(value, what)
        elif isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise exception.BadRequest(_TOO_DEEP % what)
            if isinstance(value, dict):
                for key in value:
                    if isinstance(key, str):
                        _check_text(key, what)


def load_yaml(text, what):
    """A template or environment sent as YAML (or JSON) text, parsed with
    the one loader (common/template_format).

    :param what: 'Template' or 'Environment', for messages.
    :raises: InvalidTemplate (a template) or Invalid: text over a limit,
        YAML anchors or aliases; BadRequest with Heat's message for a
        syntax error.
    """
    try:
        return template_format.load(text, what.lower())
    except template_format.Refused as refused:
        if what == 'Template':
            raise exception.InvalidTemplate(reason=refused.message)
        raise exception.Invalid(message='The %s is not valid: %s.'
                                % (what.lower(), refused.reason))
    except template_format.Malformed as error:
        raise exception.BadRequest('%s not in valid format: %s'
                                   % (what, error))


def check_parsable(request):
    """Refuse a JSON body too deep for pecan's own parse of it.

    pecan decodes a JSON body while routing (its fields become keyword
    arguments) and lets a RecursionError through; this runs before.
    """
    if request.content_type not in _PECAN_JSON_TYPES:
        return
    try:
        json.loads(request.body)
    except RecursionError:
        raise exception.BadRequest(_TOO_DEEP % 'request body')
    except ValueError:
        # Malformed JSON: the handler answers it with the parser's text.
        pass


def _json_type(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, dict):
        return 'object'
    if isinstance(value, list):
        return 'array'
    if isinstance(value, str):
        return 'string'
    return 'number'


def _describe(types):
    if isinstance(types, str):
        types = [types]
    names = [_JSON_TYPE_NAMES.get(t, t) for t in types]
    if len(names) == 1:
        return names[0]
    return '%s or %s' % (', '.join(names[:-1]), names[-1])


def _message(error):
    schema = error.schema
    field = schema.get('title') or '.'.join(
        str(p) for p in error.absolute_path) or 'request body'
    if error.validator == 'type':
        return 'Invalid %s: expected %s, got %s.' % (
            field, _describe(schema.get('x-shown-types', schema['type'])),
            _JSON_TYPE_NAMES[_json_type(error.instance)])
    if error.validator == 'maxLength':
        return 'Invalid %s: longer than %d characters (%d).' % (
            field, error.validator_value, len(error.instance))
    if error.validator == 'minLength':
        return 'Invalid %s: shorter than %d characters.' % (
            field, error.validator_value)
    if error.validator == 'pattern':
        return 'Invalid %s: %s' % (
            field, schema.get('x-pattern-message',
                              'does not match %s.' % error.validator_value))
    return 'Invalid %s: %s' % (field, error.message)


def validate(body, schema):
    """Check ``body`` against ``schema``.

    :raises: BadRequest naming the first field that is wrong.
    """
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is not None:
        raise exception.BadRequest(_message(error))
