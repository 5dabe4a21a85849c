//! Validation of a Table document: its wire spec to the domain type.

use std::collections::HashMap;

use super::wire::{
    BillingModeWire, KeyTypeWire, KeyWire, ProjectionWire, SseTypeWire, TableClassWire,
    TableSpecWire, TableSseWire,
};
use crate::model::{Billing, Gsi, Key, KeyType, Projection, Reference, Table, TableSse};
use crate::spec::kind::Check;
use crate::spec::validate::aws_name;
use crate::spec::validate::{within, KeyedList};
use crate::spec::validate::{Ctx, Validator};

/// Check a Table document's spec and build its domain type; problems go to `v`'s diagnostics.
pub(crate) fn validate(c: Check<'_, '_, TableSpecWire>) -> Option<Table> {
    let Check { v, ctx, l } = c;
    let s = &l.document.spec;
    let key = |k: &KeyWire| Key {
        name: k.name.clone(),
        key_type: match k.key_type {
            KeyTypeWire::S => KeyType::S,
            KeyTypeWire::N => KeyType::N,
            KeyTypeWire::B => KeyType::B,
        },
    };
    // Each attribute used in a key has one type across the table and its indexes (AWS derives
    // a single AttributeDefinitions list from them).
    let mut attribute_types: HashMap<String, (KeyTypeWire, String)> = HashMap::new();
    let mut check_key = |v: &mut Validator<'_>, k: &KeyWire, field: &str| {
        if k.name.is_empty() || k.name.len() > 255 {
            v.diagnostics.push(ctx.error(
                &format!("{field}.name"),
                "key attribute names have 1 to 255 characters",
            ));
        }
        match attribute_types.get(&k.name) {
            Some((other, at)) if *other != k.key_type => {
                v.diagnostics.push(
                    ctx.error(
                        &format!("{field}.type"),
                        format!(
                            "attribute `{}` is used with type {:?} here and {:?} elsewhere",
                            k.name, k.key_type, other
                        ),
                    )
                    .hint("an attribute has one type in all keys and indexes of a table")
                    .note(ctx.at(&format!("{at}.type")), "the other use"),
                );
            }
            Some(_) => {}
            None => {
                attribute_types.insert(k.name.clone(), (k.key_type, field.to_string()));
            }
        }
    };
    check_key(v, &s.partition_key, "spec.partitionKey");
    if let Some(k) = &s.sort_key {
        check_key(v, k, "spec.sortKey");
        if k.name == s.partition_key.name {
            v.diagnostics.push(ctx.error(
                "spec.sortKey.name",
                "the sort key must differ from the partition key",
            ));
        }
    }
    let provisioned = s.billing_mode == Some(BillingModeWire::Provisioned);
    let billing = if provisioned {
        match (s.read_capacity, s.write_capacity) {
            (Some(r), Some(w)) => Billing::Provisioned {
                read: v.int(ctx, "spec.readCapacity", Some(r), within(1, 1, 40_000, "")),
                write: v.int(ctx, "spec.writeCapacity", Some(w), within(1, 1, 40_000, "")),
            },
            _ => {
                v.diagnostics.push(
                    ctx.key_error(
                        "spec.billingMode",
                        "PROVISIONED billing needs readCapacity and writeCapacity",
                    )
                    .hint("or use billingMode: PAY_PER_REQUEST"),
                );
                Billing::OnDemand
            }
        }
    } else {
        for field in ["spec.readCapacity", "spec.writeCapacity"] {
            if ctx.at(field).is_some() {
                v.diagnostics.push(
                    ctx.key_error(field, "capacity applies to PROVISIONED billing only")
                        .hint("remove it, or set billingMode: PROVISIONED"),
                );
            }
        }
        Billing::OnDemand
    };
    if s.global_secondary_indexes.len() > 20 {
        v.diagnostics.push(ctx.error(
            "spec.globalSecondaryIndexes",
            "a table has at most 20 global secondary indexes",
        ));
    }
    let mut names = KeyedList::new("spec.globalSecondaryIndexes", "name", "first used here");
    let mut gsis = Vec::new();
    for (i, g) in s.global_secondary_indexes.iter().enumerate() {
        let base = format!("spec.globalSecondaryIndexes[{i}]");
        names.check(
            v,
            ctx,
            i,
            &g.name,
            format!("duplicate index name `{}`", g.name),
        );
        if !aws_name(&g.name, 3..=255, &['_', '-', '.']) {
            v.diagnostics.push(
                ctx.error(
                    &format!("{base}.name"),
                    format!("`{}` is not a valid index name", g.name),
                )
                .hint("3 to 255 letters, digits, `_`, `-` and `.`"),
            );
        }
        check_key(v, &g.partition_key, &format!("{base}.partitionKey"));
        if let Some(k) = &g.sort_key {
            check_key(v, k, &format!("{base}.sortKey"));
        }
        let projection = match g.projection.unwrap_or(ProjectionWire::All) {
            ProjectionWire::Include => {
                if g.non_key_attributes.is_empty() {
                    v.diagnostics.push(ctx.error(
                        &format!("{base}.projection"),
                        "INCLUDE projection needs nonKeyAttributes",
                    ));
                }
                Projection::Include(g.non_key_attributes.clone())
            }
            other => {
                if !g.non_key_attributes.is_empty() {
                    v.diagnostics.push(ctx.key_error(
                        &format!("{base}.nonKeyAttributes"),
                        "nonKeyAttributes apply to INCLUDE projections only",
                    ));
                }
                if other == ProjectionWire::KeysOnly {
                    Projection::KeysOnly
                } else {
                    Projection::All
                }
            }
        };
        let capacity = match (provisioned, g.read_capacity, g.write_capacity) {
            (true, Some(r), Some(w)) => Some((
                v.int(
                    ctx,
                    &format!("{base}.readCapacity"),
                    Some(r),
                    within(1, 1, 40_000, ""),
                ),
                v.int(
                    ctx,
                    &format!("{base}.writeCapacity"),
                    Some(w),
                    within(1, 1, 40_000, ""),
                ),
            )),
            (true, _, _) => {
                v.diagnostics.push(ctx.key_error(
                    &base,
                    "an index of a PROVISIONED table needs readCapacity and writeCapacity",
                ));
                None
            }
            (false, None, None) => None,
            (false, _, _) => {
                v.diagnostics.push(ctx.key_error(
                    &format!("{base}.readCapacity"),
                    "capacity applies to PROVISIONED billing only",
                ));
                None
            }
        };
        gsis.push(Gsi {
            name: g.name.clone(),
            partition_key: key(&g.partition_key),
            sort_key: g.sort_key.as_ref().map(key),
            projection,
            capacity,
        });
    }
    Some(Table {
        alarms: crate::kinds::alarm::validate::of_resource(v, ctx, s),
        partition_key: key(&s.partition_key),
        sort_key: s.sort_key.as_ref().map(key),
        billing,
        global_secondary_indexes: gsis,
        time_to_live_attribute: s.time_to_live_attribute.clone(),
        point_in_time_recovery: s.point_in_time_recovery.unwrap_or(false),
        stream: s.stream.map(|view| view.as_str().to_string()),
        table_class: s
            .table_class
            .unwrap_or(TableClassWire::Standard)
            .as_str()
            .to_string(),
        deletion_protection: s.deletion_protection.unwrap_or(true),
        sse: table_sse(v, ctx, s.sse.as_ref()),
    })
}

fn table_sse(v: &mut Validator<'_>, ctx: &Ctx<'_>, sse: Option<&TableSseWire>) -> TableSse {
    let Some(sse) = sse else {
        return TableSse::AwsOwned;
    };
    match (sse.sse_type, &sse.kms_master_key_id) {
        (SseTypeWire::AwsOwned, None) => TableSse::AwsOwned,
        (SseTypeWire::AwsOwned, Some(_)) => {
            v.diagnostics.push(
                ctx.key_error(
                    "spec.sse.kmsMasterKeyId",
                    "a KMS key applies to `type: KMS` only",
                )
                .hint("set `type: KMS`, or remove kmsMasterKeyId"),
            );
            TableSse::AwsOwned
        }
        (SseTypeWire::Kms, None) => TableSse::AwsManaged,
        (SseTypeWire::Kms, Some(key)) => {
            let is_arn = key.starts_with("arn:") && key.contains(":kms:") && key.contains(":key/");
            let is_id = !key.is_empty()
                && key.len() <= 2048
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !is_arn && !is_id {
                let hint = if key.starts_with("alias/") || key.contains(":alias/") {
                    "DynamoDB reports a table's key by its key ARN, so an alias would show as a change on every plan; use the key ARN or key id"
                } else {
                    "a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or a key id"
                };
                v.diagnostics.push(
                    ctx.error(
                        "spec.sse.kmsMasterKeyId",
                        format!("`{key}` is not a KMS key ARN or key id"),
                    )
                    .hint(hint),
                );
            }
            TableSse::CustomerManaged(key.clone())
        }
    }
}

/// What a table refers to: nothing.
pub(crate) fn references(_: &Table) -> Vec<&Reference> {
    Vec::new()
}
