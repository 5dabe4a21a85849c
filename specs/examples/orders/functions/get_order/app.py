"""GET /orders/{id}: read one order."""

import os

import boto3
from orders_common import order_key, response

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    order_id = (event.get("pathParameters") or {}).get("id")
    if not order_id:
        return response(400, {"error": "order id is required"})
    found = TABLE.get_item(Key=order_key(order_id)).get("Item")
    if found is None:
        return response(404, {"error": f"order {order_id} not found"})
    found.pop("pk", None)
    found.pop("sk", None)
    found.pop("gsi1pk", None)
    found.pop("gsi1sk", None)
    return response(200, found)
