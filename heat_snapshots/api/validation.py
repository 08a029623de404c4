"""Request bodies: JSON parsing and jsonschema validation.

Heat's answers are kept where Heat gives one (the generic 400 for a body
that is not a JSON object, the JSON error text for malformed JSON); where
Heat fails with a 500 we answer a 400 that says what is wrong.
"""

import json

import jsonschema

from heat_snapshots.common import exception

_FORM_TYPES = ('application/x-www-form-urlencoded', 'multipart/form-data')

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
    if not isinstance(body, dict):
        raise exception.BadRequest()
    return body


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
