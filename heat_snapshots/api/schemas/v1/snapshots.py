"""Body of POST /v1/{tenant_id}/stacks/{stack_name}/{stack_id}/snapshots."""

# Heat stores the name in a VARCHAR(255).
NAME_MAX_LENGTH = 255

create = {
    'type': 'object',
    'properties': {
        'name': {
            'title': 'snapshot name',
            # Heat takes numbers and booleans and stores them as strings;
            # the controller converts them. Objects and lists are refused.
            'type': ['string', 'null', 'number', 'boolean'],
            'x-shown-types': ['string', 'null'],
            'maxLength': NAME_MAX_LENGTH,
        },
    },
    # Heat ignores unknown keys; so do we.
    'additionalProperties': True,
}
