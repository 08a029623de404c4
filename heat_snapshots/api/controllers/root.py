"""/: the API versions, as Heat lists them."""

from http import client as http_client

import pecan

from heat_snapshots.api.controllers import v1
from heat_snapshots.api import fault


class RootController:

    v1 = v1.Controller()

    @fault.expose(status_code=http_client.MULTIPLE_CHOICES)
    def index(self):
        """Heat answers GET / with 300 Multiple Choices and its versions."""
        if pecan.request.method not in ('GET', 'HEAD'):
            pecan.abort(http_client.METHOD_NOT_ALLOWED)
        return {'versions': [{
            'status': 'CURRENT',
            'id': 'v1.0',
            'links': [{'href': pecan.request.application_url + '/v1/',
                       'rel': 'self'}],
        }]}
