"""Helpers shared by the order functions (shipped as the `shared-libs` layer)."""

import json
from decimal import Decimal


def _default(value):
    # DynamoDB returns numbers as Decimal; amounts are whole cents, so int is exact.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def response(status, body):
    """An API Gateway Lambda-proxy response."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, default=_default),
    }


def order_key(order_id):
    return {"pk": f"ORDER#{order_id}", "sk": "ORDER"}
