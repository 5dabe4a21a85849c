# Unit tests of the default pack: `slsctl policy test`.
package slsctl.policies.blueprint

import rego.v1

fn(name, extra) := object.union({"id": concat("/", ["Function", name]), "kind": "Function", "name": name, "spec": {"triggers": [], "environment": {}, "timeout": 10, "memory_size": 512}}, extra)

config := {"requiredTags": ["team"], "memoryMB": {"min": 128, "max": 3008}}

base := {"stack": {"tags": {"team": "payments"}}, "config": config, "resources": [], "cost": {"functions": {}}, "plan": {"actions": []}}

with_resources(rs) := object.union(base, {"resources": rs})

test_a_consumed_queue_without_a_dlq_is_denied if {
	q := {"id": "Queue/jobs", "kind": "Queue", "name": "jobs", "spec": {"dead_letter": null}}
	f := fn("worker", {"spec": {"triggers": [{"queue": {"Stack": "Queue/jobs"}}], "environment": {}, "timeout": 10, "memory_size": 512}})
	denied := deny with input as with_resources([q, f])
	count(denied) == 1
	some d in denied
	d.resource == "Queue/jobs"
}

test_a_consumed_queue_with_a_dlq_passes if {
	q := {"id": "Queue/jobs", "kind": "Queue", "name": "jobs", "spec": {"dead_letter": {"queue": {"Stack": "Queue/dlq"}}}}
	f := fn("worker", {"spec": {"triggers": [{"queue": {"Stack": "Queue/jobs"}}], "environment": {}, "timeout": 10, "memory_size": 512}})
	count(deny) == 0 with input as with_resources([q, f])
}

test_a_function_given_another_function_is_denied if {
	f := fn("a", {"spec": {"triggers": [], "environment": {"NEXT": {"Ref": {"target": {"Stack": "Function/b"}, "attr": "arn"}}}, "timeout": 10, "memory_size": 512}})
	count(deny) == 1 with input as with_resources([f, fn("b", {})])
}

test_a_slow_function_behind_an_api_is_denied if {
	api := {"id": "Api/public", "kind": "Api", "name": "public", "spec": {"routes": [{"function": {"Stack": "Function/slow"}}]}}
	f := fn("slow", {"spec": {"triggers": [], "environment": {}, "timeout": 60, "memory_size": 512}})
	count(deny) == 1 with input as with_resources([api, f])
}

test_tables_need_on_demand_and_pitr if {
	good := {"id": "Table/a", "kind": "Table", "name": "a", "spec": {"billing": "OnDemand", "point_in_time_recovery": true}}
	bad := {"id": "Table/b", "kind": "Table", "name": "b", "spec": {"billing": {"Provisioned": {"read": 5, "write": 5}}, "point_in_time_recovery": false}}
	count(deny) == 0 with input as with_resources([good])
	count(deny) == 2 with input as with_resources([bad])
}

test_a_missing_required_tag_is_denied if {
	count(deny) == 1 with input as object.union(base, {"config": {"requiredTags": ["team", "owner"]}})
	count(deny) == 0 with input as base
}

test_memory_outside_the_range_is_denied if {
	count(deny) == 1 with input as with_resources([fn("big", {"spec": {"triggers": [], "environment": {}, "timeout": 10, "memory_size": 4096}})])
}

test_underused_provisioned_concurrency_warns if {
	count(warn) == 1 with input as object.union(base, {"cost": {"functions": {"Function/a": {"utilisation": 0.2, "breakEven": 0.6}}}})
	count(warn) == 0 with input as object.union(base, {"cost": {"functions": {"Function/a": {"utilisation": 0.8, "breakEven": 0.6}}}})
}

test_provisioned_concurrency_outside_an_alias_is_denied if {
	count(deny) == 1 with input as object.union(base, {"plan": {"actions": [{"id": "Function/a", "action": "update", "fields": ["provisionedConcurrency"]}]}})
	count(deny) == 0 with input as object.union(base, {"plan": {"actions": [{"id": "Function/a", "action": "update", "fields": ["alias.live.provisionedConcurrency"]}]}})
}
