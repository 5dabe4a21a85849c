"""Consume OrderPlaced messages from order-events and mark each order FULFILLED.

The trigger has reportBatchItemFailures on: only the messages that failed are retried, and after
five receives a message moves to order-events-dlq.
"""

import json
import os
import time

import boto3
from botocore.exceptions import ClientError
from orders_common import order_key

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _fulfil(order_id):
    try:
        TABLE.update_item(
            Key=order_key(order_id),
            UpdateExpression="SET #s = :fulfilled, fulfilledAt = :now",
            # Only a PLACED order moves on: a redelivered message is then a harmless no-op.
            ConditionExpression="#s = :placed",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":fulfilled": "FULFILLED",
                ":placed": "PLACED",
                ":now": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def handler(event, context):
    failures = []
    for record in event.get("Records", []):
        try:
            detail = json.loads(record["body"])  # the rule's inputPath is $.detail
            _fulfil(detail["orderId"])
        except Exception:  # noqa: BLE001 - every failure is reported back for a retry
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
