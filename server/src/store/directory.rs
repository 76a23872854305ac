//! DRaaS instances, the hierarchy of nodes, subscriptions and their Fusion users.

use app::api_types::LicenseType;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use super::{Db, now};
use crate::domain::listing::{Dir, NodeSort, SubscriptionSort, Window};

/// A subscription found inside a caller's tree of authority.
#[derive(Debug, Clone)]
pub struct SubscriptionRecord {
    pub id: i64,
    pub name: String,
    pub license_type: LicenseType,
    pub tenant_id: Uuid,
    pub tenant_name: String,
}

/// A group, distributor, reseller or tenant, with the node above it.
pub struct NodeRow {
    pub id: Uuid,
    pub name: String,
    pub billing_id: String,
    pub parent: Option<ParentRow>,
}

pub struct ParentRow {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
}

/// The nodes a list holds: those of `kind` below `root` (and `root` itself when
/// `include_root`) whose name or billing id contains `search`.
pub struct NodeFilter<'a> {
    pub kind: &'a str,
    pub root: Uuid,
    pub include_root: bool,
    pub search: &'a str,
}

/// A subscription with the MS Teams columns its state is derived from.
pub struct SubscriptionRow {
    pub id: i64,
    pub name: String,
    pub license_type: LicenseType,
    pub direct_routing_users: i64,
    pub own_status: Option<super::msteams::TenantState>,
    pub own_ms_tenant_id: Option<String>,
    pub own_domain: Option<String>,
    pub own_step: Option<i64>,
    pub linked_to: Option<i64>,
    pub linked_ms_tenant_id: Option<String>,
    pub linked_domain: Option<String>,
}

/// The settings create_app.ps1 is rendered with.
pub struct GroupSettings {
    pub group_name: String,
    pub app_display_name: String,
    pub secret_lifetime_months: i64,
}

/// Walks from a tenant up to its group; `?1` is the tenant, `?2` the instance.
const ANCESTORS: &str = "WITH RECURSIVE up(id, parent_id, kind) AS (
      SELECT id, parent_id, kind FROM nodes WHERE id = ?1 AND kind = 'tenant' AND instance_id = ?2
      UNION ALL SELECT n.id, n.parent_id, n.kind FROM nodes n JOIN up ON n.id = up.parent_id)";

/// Walks from the caller's node down to every node below; `?1` is the caller's node.
const DESCENDANTS: &str = "WITH RECURSIVE down(id) AS (
      SELECT ?1 UNION ALL SELECT n.id FROM nodes n JOIN down ON n.parent_id = down.id)";

/// How many DRaaS instances the database holds.
pub async fn instance_count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM draas_instances")
        .fetch_one(&db.read)
        .await
}

pub async fn find_instance(db: &Db, slug: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM draas_instances WHERE slug = ?")
        .bind(slug)
        .fetch_optional(&db.read)
        .await
}

/// The tenant's name if it lies in the tree of authority below `caller_node`.
pub async fn tenant_in_tree(
    db: &Db,
    instance_id: i64,
    tenant: Uuid,
    caller_node: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    let sql =
        format!("{ANCESTORS} SELECT (SELECT name FROM nodes WHERE id = ?1) FROM up WHERE id = ?3");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(tenant.to_string())
        .bind(instance_id)
        .bind(caller_node.to_string())
        .fetch_optional(&db.read)
        .await
}

pub async fn subscription_in_tree(
    db: &Db,
    instance_id: i64,
    tenant: Uuid,
    subscription: i64,
    caller_node: Uuid,
) -> Result<Option<SubscriptionRecord>, sqlx::Error> {
    let sql = format!(
        "{ANCESTORS}
         SELECT s.id, s.name, s.license_type, t.name AS tenant_name
         FROM subscriptions s JOIN nodes t ON t.id = s.tenant_id
         WHERE s.id = ?4 AND s.tenant_id = ?1 AND EXISTS (SELECT 1 FROM up WHERE id = ?3)"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.to_string())
        .bind(instance_id)
        .bind(caller_node.to_string())
        .bind(subscription)
        .fetch_optional(&db.read)
        .await?;
    Ok(row.map(|row| SubscriptionRecord {
        id: row.get("id"),
        name: row.get("name"),
        license_type: row.get("license_type"),
        tenant_id: tenant,
        tenant_name: row.get("tenant_name"),
    }))
}

/// Whether `node` is a group, distributor or reseller at or below `caller_node`.
pub async fn partner_in_tree(db: &Db, caller_node: Uuid, node: Uuid) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "{DESCENDANTS} SELECT EXISTS (SELECT 1 FROM nodes n JOIN down ON down.id = n.id
         WHERE n.id = ?2 AND n.kind IN ('group', 'distributor', 'reseller'))"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(caller_node.to_string())
        .bind(node.to_string())
        .fetch_one(&db.read)
        .await
}

/// The node `id` of `kind` in `instance`, if it lies at or below `caller_node`.
pub async fn node_in_tree(
    db: &Db,
    instance_id: i64,
    caller_node: Uuid,
    id: Uuid,
    kind: &str,
) -> Result<Option<NodeRow>, sqlx::Error> {
    let sql = format!(
        "{DESCENDANTS} SELECT {NODE_COLUMNS}
         FROM nodes t JOIN down ON down.id = t.id LEFT JOIN nodes p ON p.id = t.parent_id
         WHERE t.id = ?2 AND t.kind = ?3 AND t.instance_id = ?4"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(caller_node.to_string())
        .bind(id.to_string())
        .bind(kind)
        .bind(instance_id)
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(node_row_of).transpose()
}

const NODE_COLUMNS: &str = "t.id, t.name, COALESCE(t.billing_id, '') AS billing_id,
    p.id AS parent_id, p.kind AS parent_kind, p.name AS parent_name";

/// The nodes below the caller's a `NodeFilter` selects: `?1` root, `?2` kind, `?3`
/// include root, `?4` search pattern.
const NODE_FILTER: &str = "t.kind = ?2 AND (?3 OR t.id <> ?1)
        AND (t.name LIKE ?4 ESCAPE '\\' OR COALESCE(t.billing_id, '') LIKE ?4 ESCAPE '\\')";

/// The order of a list of nodes: the key, then the id.
fn node_order(sort: NodeSort, dir: Dir) -> String {
    let column = match sort {
        NodeSort::Name => "t.name COLLATE NOCASE",
        NodeSort::BillingId => "COALESCE(t.billing_id, '') COLLATE NOCASE",
        NodeSort::Uuid => "t.id",
    };
    let dir = dir.sql();
    format!("{column} {dir}, t.id {dir}")
}

/// A page of the nodes `filter` selects, in the order asked for, and their number.
pub async fn list_nodes(
    db: &Db,
    filter: &NodeFilter<'_>,
    sort: NodeSort,
    dir: Dir,
    window: Window,
) -> Result<(Vec<NodeRow>, i64), sqlx::Error> {
    let pattern = like_pattern(filter.search);
    let total_sql = format!(
        "{DESCENDANTS} SELECT COUNT(*) FROM nodes t JOIN down ON down.id = t.id WHERE {NODE_FILTER}"
    );
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(total_sql))
        .bind(filter.root.to_string())
        .bind(filter.kind)
        .bind(filter.include_root)
        .bind(&pattern)
        .fetch_one(&db.read)
        .await?;
    let page_sql = format!(
        "{DESCENDANTS} SELECT {NODE_COLUMNS}
         FROM nodes t JOIN down ON down.id = t.id LEFT JOIN nodes p ON p.id = t.parent_id
         WHERE {NODE_FILTER} ORDER BY {} LIMIT ?5 OFFSET ?6",
        node_order(sort, dir)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(page_sql))
        .bind(filter.root.to_string())
        .bind(filter.kind)
        .bind(filter.include_root)
        .bind(&pattern)
        .bind(i64::from(window.limit))
        .bind(offset(window))
        .fetch_all(&db.read)
        .await?;
    let nodes = rows.iter().map(node_row_of).collect::<Result<_, _>>()?;
    Ok((nodes, total))
}

fn node_row_of(row: &sqlx::sqlite::SqliteRow) -> Result<NodeRow, sqlx::Error> {
    let parent = match row.get::<Option<String>, _>("parent_id") {
        Some(id) => Some(ParentRow {
            id: parse_uuid(id)?,
            kind: row.get("parent_kind"),
            name: row.get("parent_name"),
        }),
        None => None,
    };
    Ok(NodeRow {
        id: parse_uuid(row.get("id"))?,
        name: row.get("name"),
        billing_id: row.get("billing_id"),
        parent,
    })
}

/// `search` as a LIKE pattern matching it anywhere, its wildcards taken literally.
fn like_pattern(search: &str) -> String {
    format!(
        "%{}%",
        search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// An offset SQLite takes (an `i64`); beyond it, no row is left anyway.
fn offset(window: Window) -> i64 {
    i64::try_from(window.offset).unwrap_or(i64::MAX)
}

/// A subscription with its tenant, direct-routing users and MS Teams state (own or
/// linked).
const SUBSCRIPTION_ROWS: &str = "SELECT s.id AS subscription_id, s.name AS subscription_name,
        s.license_type, s.tenant_id,
        (SELECT COUNT(*) FROM fusion_users f WHERE f.subscription_id = s.id AND f.direct_routing = 1) AS dr_users,
        own.status AS own_status, own.ms_tenant_id AS own_ms, own.domain AS own_domain, own.current_step AS own_step,
        lt.owner_subscription_id AS linked_to, lt.ms_tenant_id AS linked_ms, lt.domain AS linked_domain
 FROM subscriptions s
 LEFT JOIN msteams_tenants own ON own.owner_subscription_id = s.id
 LEFT JOIN msteams_links l ON l.subscription_id = s.id
 LEFT JOIN msteams_tenants lt ON lt.id = l.msteams_tenant_id";

/// A page of a tenant's subscriptions whose name contains `search`, and their number.
pub async fn list_subscriptions(
    db: &Db,
    tenant: Uuid,
    search: &str,
    sort: SubscriptionSort,
    dir: Dir,
    window: Window,
) -> Result<(Vec<SubscriptionRow>, i64), sqlx::Error> {
    let pattern = like_pattern(search);
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM subscriptions s WHERE s.tenant_id = ? AND s.name LIKE ? ESCAPE '\\'",
    )
    .bind(tenant.to_string())
    .bind(&pattern)
    .fetch_one(&db.read)
    .await?;
    let column = match sort {
        SubscriptionSort::Id => "s.id",
        SubscriptionSort::Name => "s.name COLLATE NOCASE",
        SubscriptionSort::LicenseType => "s.license_type",
    };
    let dir = dir.sql();
    let sql = format!(
        "{SUBSCRIPTION_ROWS} WHERE s.tenant_id = ? AND s.name LIKE ? ESCAPE '\\'
         ORDER BY {column} {dir}, s.id {dir} LIMIT ? OFFSET ?"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.to_string())
        .bind(&pattern)
        .bind(i64::from(window.limit))
        .bind(offset(window))
        .fetch_all(&db.read)
        .await?;
    Ok((rows.iter().map(subscription_row_of).collect(), total))
}

/// One subscription as `list_subscriptions` shows it.
pub async fn subscription_row(
    db: &Db,
    subscription: i64,
) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    let sql = format!("{SUBSCRIPTION_ROWS} WHERE s.id = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(subscription)
        .fetch_optional(&db.read)
        .await?;
    Ok(row.as_ref().map(subscription_row_of))
}

fn subscription_row_of(row: &sqlx::sqlite::SqliteRow) -> SubscriptionRow {
    SubscriptionRow {
        id: row.get("subscription_id"),
        name: row.get("subscription_name"),
        license_type: row.get("license_type"),
        direct_routing_users: row.get("dr_users"),
        own_status: row.get("own_status"),
        own_ms_tenant_id: row.get("own_ms"),
        own_domain: row.get("own_domain"),
        own_step: row.get("own_step"),
        linked_to: row.get("linked_to"),
        linked_ms_tenant_id: row.get("linked_ms"),
        linked_domain: row.get("linked_domain"),
    }
}

/// A page of the tenants `filter` selects (`kind` is `tenant`), in `list_nodes`' order,
/// each with its first `per_tenant` subscriptions by id as `list_subscriptions` shows
/// them; and the number of tenants the filter selects (0 when the page is empty). One
/// query, so the page is one snapshot.
pub async fn tenants_with_subscriptions(
    db: &Db,
    filter: &NodeFilter<'_>,
    sort: NodeSort,
    dir: Dir,
    window: Window,
    per_tenant: u32,
) -> Result<(Vec<(NodeRow, Vec<SubscriptionRow>)>, i64), sqlx::Error> {
    let sql = format!(
        "{DESCENDANTS},
         page AS (SELECT {NODE_COLUMNS}, COUNT(*) OVER () AS total,
                         ROW_NUMBER() OVER (ORDER BY {}) AS position
                  FROM nodes t JOIN down ON down.id = t.id LEFT JOIN nodes p ON p.id = t.parent_id
                  WHERE {NODE_FILTER} ORDER BY position LIMIT ?5 OFFSET ?6),
         listed AS (SELECT *, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY subscription_id) AS nth
                    FROM ({SUBSCRIPTION_ROWS} WHERE s.tenant_id IN (SELECT id FROM page)))
         SELECT page.*, listed.* FROM page
         LEFT JOIN listed ON listed.tenant_id = page.id AND listed.nth <= ?7
         ORDER BY page.position, listed.subscription_id",
        node_order(sort, dir)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(filter.root.to_string())
        .bind(filter.kind)
        .bind(filter.include_root)
        .bind(like_pattern(filter.search))
        .bind(i64::from(window.limit))
        .bind(offset(window))
        .bind(i64::from(per_tenant))
        .fetch_all(&db.read)
        .await?;
    let total = rows.first().map_or(0, |row| row.get("total"));
    Ok((group_by_tenant(&rows)?, total))
}

/// The rows of `tenants_with_subscriptions`, a tenant's rows together, as tenants with
/// their subscriptions (a tenant without any has one row without a subscription).
fn group_by_tenant(
    rows: &[sqlx::sqlite::SqliteRow],
) -> Result<Vec<(NodeRow, Vec<SubscriptionRow>)>, sqlx::Error> {
    let mut tenants: Vec<(NodeRow, Vec<SubscriptionRow>)> = Vec::new();
    for row in rows {
        let id = parse_uuid(row.get("id"))?;
        if tenants.last().is_none_or(|(tenant, _)| tenant.id != id) {
            tenants.push((node_row_of(row)?, Vec::new()));
        }
        if row.get::<Option<i64>, _>("subscription_id").is_some()
            && let Some((_, subscriptions)) = tenants.last_mut()
        {
            subscriptions.push(subscription_row_of(row));
        }
    }
    Ok(tenants)
}

pub async fn group_settings_of_tenant(
    db: &Db,
    instance_id: i64,
    tenant: Uuid,
) -> Result<Option<GroupSettings>, sqlx::Error> {
    let sql = format!(
        "{ANCESTORS}
         SELECT g.name, gs.app_display_name, gs.secret_lifetime_months
         FROM up JOIN nodes g ON g.id = up.id JOIN group_settings gs ON gs.group_id = g.id
         WHERE up.kind = 'group'"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.to_string())
        .bind(instance_id)
        .fetch_optional(&db.read)
        .await?;
    Ok(row.map(|row| GroupSettings {
        group_name: row.get("name"),
        app_display_name: row.get("app_display_name"),
        secret_lifetime_months: row.get("secret_lifetime_months"),
    }))
}

pub async fn direct_routing_users(
    conn: &mut SqliteConnection,
    subscription: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM fusion_users WHERE subscription_id = ? AND direct_routing = 1",
    )
    .bind(subscription)
    .fetch_one(conn)
    .await
}

// Seeding: idempotent inserts with fixed keys.

pub async fn insert_instance(
    conn: &mut SqliteConnection,
    id: i64,
    slug: &str,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO draas_instances (id, slug, name) VALUES (?, ?, ?)")
        .bind(id)
        .bind(slug)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_node(
    conn: &mut SqliteConnection,
    id: Uuid,
    instance_id: i64,
    kind: &str,
    name: &str,
    billing_id: &str,
    parent: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO nodes (id, instance_id, kind, name, billing_id, parent_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(id.to_string())
        .bind(instance_id)
        .bind(kind)
        .bind(name)
        .bind(billing_id)
        .bind(parent.map(|p| p.to_string()))
        .bind(now())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_group_settings(
    conn: &mut SqliteConnection,
    group: Uuid,
    app_display_name: &str,
    lifetime_months: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO group_settings (group_id, app_display_name, secret_lifetime_months) VALUES (?, ?, ?)")
        .bind(group.to_string())
        .bind(app_display_name)
        .bind(lifetime_months)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_subscription(
    conn: &mut SqliteConnection,
    id: i64,
    tenant: Uuid,
    name: &str,
    license_type: LicenseType,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO subscriptions (id, tenant_id, name, license_type, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(id)
        .bind(tenant.to_string())
        .bind(name)
        .bind(license_type)
        .bind(now())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_fusion_user(
    conn: &mut SqliteConnection,
    subscription: i64,
    username: &str,
    direct_routing: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO fusion_users (subscription_id, username, direct_routing) VALUES (?, ?, ?)",
    )
    .bind(subscription)
    .bind(username)
    .bind(direct_routing)
    .execute(conn)
    .await?;
    Ok(())
}

/// Turns direct routing on or off for every Fusion user of a subscription.
pub async fn set_direct_routing(
    db: &Db,
    subscription: i64,
    enabled: bool,
) -> Result<u64, sqlx::Error> {
    let result =
        sqlx::query("UPDATE fusion_users SET direct_routing = ? WHERE subscription_id = ?")
            .bind(enabled)
            .bind(subscription)
            .execute(&db.write)
            .await?;
    Ok(result.rows_affected())
}

fn parse_uuid(text: String) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(&text).map_err(|_| super::decode_error(format!("bad uuid in database: {text}")))
}
