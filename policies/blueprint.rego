# The default pack: the blueprint's architecture decisions as guardrails.
#
# input:
#   stack      {name, tags, budgetMonthlyUSD}
#   config     {requiredTags: [..], memoryMB: {min, max}}   (Stack spec.policy)
#   resources  [{id, kind, name, spec, traffic}]           (spec: the validated model, snake_case)
#   cost       {functions: {ID: {utilisation, breakEven}}}  (provisioned concurrency forecasts)
#   plan       {actions: [{id, action, fields}]}            (absent for `slsctl policy eval`)
#
# deny and warn hold {rule, resource, field, msg}; a deny fails validate and the plan unless the
# Stack waives its rule (spec.policy.exceptions, with a reason). `rule` names the rule for
# waivers; `field` is the spec field the message is about, for the error's location.
package slsctl.policies.blueprint

import rego.v1

resources_of(kind) := [r | some r in input.resources; r.kind == kind]

queues := {r.id: r | some r in resources_of("Queue")}

# Every queue a function consumes has a dead-letter queue.
deny contains {"rule": "queue-dead-letter", "field": "spec.deadLetter", "resource": q.id, "msg": sprintf("queue `%s` is consumed by function `%s` but has no deadLetter queue", [q.name, f.name])} if {
	some f in resources_of("Function")
	some t in f.spec.triggers
	q := queues[t.queue.Stack]
	q.spec.dead_letter == null
}

# No function invokes another directly: the boundary between functions is a queue or a bus.
deny contains {"rule": "no-function-to-function", "field": concat(".", ["spec.environment", name]), "resource": f.id, "msg": sprintf("function `%s` is given function `%s` in %s; put a queue or a bus between them", [f.name, target, name])} if {
	some f in resources_of("Function")
	some name, value in f.spec.environment
	target := trim_prefix(value.Ref.target.Stack, "Function/")
	startswith(value.Ref.target.Stack, "Function/")
}

# Functions behind an API answer within API Gateway's 29 s.
deny contains {"rule": "api-timeout", "field": "spec.timeout", "resource": f.id, "msg": sprintf("function `%s` serves API `%s` with a timeout of %d s; API Gateway gives up after 29 s", [f.name, api.name, f.spec.timeout])} if {
	some api in resources_of("Api")
	some route in api.spec.routes
	some f in resources_of("Function")
	route.function.Stack == f.id
	f.spec.timeout > 29
}

# Tables are on demand (slsctl does not manage table autoscaling) and have PITR on.
deny contains {"rule": "table-on-demand", "field": "spec.billingMode", "resource": t.id, "msg": sprintf("table `%s` has provisioned capacity without autoscaling; use billingMode: PAY_PER_REQUEST", [t.name])} if {
	some t in resources_of("Table")
	t.spec.billing != "OnDemand"
}

deny contains {"rule": "table-pitr", "field": "spec.pointInTimeRecovery", "resource": t.id, "msg": sprintf("table `%s` has no point-in-time recovery; set pointInTimeRecovery: true", [t.name])} if {
	some t in resources_of("Table")
	not t.spec.point_in_time_recovery
}

# Required tags (Stack spec.policy.requiredTags) are on the stack, so on every resource.
deny contains {"rule": "required-tags", "field": "spec.tags", "resource": null, "msg": sprintf("the stack has no `%s` tag, which the policy requires", [tag])} if {
	some tag in input.config.requiredTags
	not input.stack.tags[tag]
}

# Provisioned concurrency only on aliases: nothing in the plan sets it anywhere else.
deny contains {"rule": "pc-on-alias", "resource": a.id, "msg": sprintf("%s sets provisioned concurrency outside an alias (%s)", [a.id, field])} if {
	some a in input.plan.actions
	some field in a.fields
	contains(field, "rovisionedConcurrency")
	not startswith(field, "alias.")
}

# A provisioned-concurrency schedule that its traffic would not keep busy enough to pay off.
warn contains {"rule": "pc-break-even", "field": "spec.alias.provisionedConcurrency", "resource": id, "msg": sprintf("provisioned concurrency of `%s` is forecast at %.1f%% utilisation, below the %.0f%% break-even; on demand is cheaper (see `slsctl cost pc`)", [id, f.utilisation * 100, f.breakEven * 100])} if {
	some id, f in input.cost.functions
	f.utilisation < f.breakEven
}

# Memory within the configured range (Stack spec.policy.memoryMB).
deny contains {"rule": "function-memory", "field": "spec.memorySize", "resource": f.id, "msg": sprintf("function `%s` has %d MB, outside the allowed %d–%d MB", [f.name, f.spec.memory_size, input.config.memoryMB.min, input.config.memoryMB.max])} if {
	some f in resources_of("Function")
	not within(f.spec.memory_size, input.config.memoryMB)
}

within(v, range) if {
	v >= range.min
	v <= range.max
}
