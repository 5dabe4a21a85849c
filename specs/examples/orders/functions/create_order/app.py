"""POST /orders: validate the order, store it, and announce OrderPlaced on the orders bus."""

import json
import os
import time
import uuid

import boto3
from orders_common import order_key, response

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
EVENTS = boto3.client("events")
BUS = os.environ["EVENT_BUS_NAME"]


def _parse(event):
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return None, "body is not JSON"
    customer = body.get("customerId")
    items = body.get("items")
    if not isinstance(customer, str) or not customer:
        return None, "customerId is required"
    if not isinstance(items, list) or not items:
        return None, "items must be a non-empty list"
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("sku"), str):
            return None, "each item needs a sku"
        if not isinstance(item.get("quantity"), int) or item["quantity"] < 1:
            return None, "each item needs a positive integer quantity"
        if not isinstance(item.get("priceCents"), int) or item["priceCents"] < 0:
            return None, "each item needs priceCents as a non-negative integer"
    return {"customerId": customer, "items": items}, None


def handler(event, context):
    order, error = _parse(event)
    if error:
        return response(400, {"error": error})

    order_id = str(uuid.uuid4())
    created_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    total = sum(i["quantity"] * i["priceCents"] for i in order["items"])
    item = {
        **order_key(order_id),
        "gsi1pk": f"CUSTOMER#{order['customerId']}",
        "gsi1sk": created_at,
        "orderId": order_id,
        "customerId": order["customerId"],
        "items": order["items"],
        "totalCents": total,
        "status": "PLACED",
        "createdAt": created_at,
    }
    # The condition makes a retried invocation with a colliding id fail instead of overwriting.
    TABLE.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    EVENTS.put_events(
        Entries=[
            {
                "Source": "orders.api",
                "DetailType": "OrderPlaced",
                "EventBusName": BUS,
                "Detail": json.dumps(
                    {"orderId": order_id, "customerId": order["customerId"], "totalCents": total}
                ),
            }
        ]
    )
    return response(201, {"orderId": order_id, "status": "PLACED", "totalCents": total})
