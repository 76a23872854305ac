//! What an administrator may see: the groups, distributors, resellers, tenants and
//! subscriptions in its tree of authority, as the platform's lists show them.

use app::{
    api_types::{
        DistributorList, GroupList, LicenseType, MsTeamsState, OnboardingState, Owner, OwnerType,
        Partner, ResellerList, Role, Subscription, SubscriptionList, Tenant, TenantList,
    },
    backend::{Overview, TenantWithSubscriptions},
};

use super::{
    AppError, Caller,
    listing::{Continuations, ListQuery, MAX_PAGE_SIZE, NodeSort, PageInfo, SubscriptionSort},
    types::{DraasInstance, SearchText, SubscriptionPath, TenantUuid},
};
use crate::store::{
    Db,
    directory::{self, NodeFilter, NodeRow, SubscriptionRecord, SubscriptionRow},
    msteams::TenantState,
};

#[derive(Clone, Debug)]
pub struct Directory {
    db: Db,
    tokens: Continuations,
}

/// The levels of the hierarchy a list can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Group,
    Distributor,
    Reseller,
    Tenant,
}

impl Level {
    fn kind(self) -> &'static str {
        match self {
            Level::Group => "group",
            Level::Distributor => "distributor",
            Level::Reseller => "reseller",
            Level::Tenant => "tenant",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Level::Group => "groups",
            Level::Distributor => "distributors",
            Level::Reseller => "resellers",
            Level::Tenant => "tenants",
        }
    }
}

/// A list's page: its envelope and its rows.
pub struct Found<T> {
    info: PageInfo,
    items: Vec<T>,
}

/// What sets the four node lists apart: the role that reads one, the level it holds,
/// and its envelope (the items' key and shape).
pub trait NodeList {
    const ROLE: Role;
    const LEVEL: Level;
    fn page(found: Found<NodeRow>) -> Self;
}

/// Declares a node list: `$items` is its envelope's key, `$item` how a row shows.
macro_rules! node_list {
    ($list:ident, $role:ident, $level:ident, $items:ident, $item:ident) => {
        impl NodeList for $list {
            const ROLE: Role = Role::$role;
            const LEVEL: Level = Level::$level;
            fn page(found: Found<NodeRow>) -> Self {
                $list {
                    results: found.info.results,
                    pages: found.info.pages,
                    page: found.info.page,
                    next: found.info.next,
                    $items: found.items.into_iter().map($item).collect(),
                }
            }
        }
    };
}

node_list!(GroupList, GroupsList, Group, groups, partner);
node_list!(
    DistributorList,
    DistributorsList,
    Distributor,
    distributors,
    partner
);
node_list!(ResellerList, ResellersList, Reseller, resellers, partner);
node_list!(TenantList, TenantsList, Tenant, tenants, tenant);

impl Directory {
    /// `token_key` signs the lists' continuation tokens.
    pub fn new(db: Db, token_key: [u8; 32]) -> Self {
        Directory {
            db,
            tokens: Continuations::new(token_key),
        }
    }

    /// `GET …/groups`, `…/distributors`, `…/resellers` and `…/tenants`: the nodes of the
    /// list's level at or below the caller's node (a group admin's groups are its own; a
    /// reseller's resellers, itself), or below `parent`.
    #[tracing::instrument(skip_all, fields(user = %caller.username, list = L::LEVEL.plural()))]
    pub async fn list<L: NodeList>(
        &self,
        caller: &Caller,
        instance: &DraasInstance,
        query: &ListQuery<NodeSort>,
    ) -> Result<L, AppError> {
        caller.require(L::ROLE)?;
        let found = self.nodes(caller, instance, L::LEVEL, query).await?;
        Ok(L::page(found))
    }

    /// The home page: page `page` of the tenants `GET …/tenants` lists for `search` (the
    /// caller's tree of authority, by name), each with its subscriptions as
    /// `GET …/tenants/{uuid}/subscriptions` shows them (at most a page of the largest
    /// size), read in one query. Where the lists answer 404, the overview is empty.
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn overview(
        &self,
        caller: &Caller,
        instance: &DraasInstance,
        page: u32,
        page_size: u32,
        search: SearchText,
    ) -> Result<Overview, AppError> {
        caller.require(Role::TenantsList)?;
        // Checked first, whatever the tenants found: the answer never depends on the data.
        caller.require(Role::SubscriptionsList)?;
        self.instance_id(caller, instance)?;
        let query = ListQuery::<NodeSort>::page(page, page_size, search);
        let scope = format!("{}/{}", instance.as_str(), Level::Tenant.plural());
        let window = self.tokens.window(&scope, &query)?;
        let filter = NodeFilter {
            kind: Level::Tenant.kind(),
            root: caller.node_id,
            include_root: true,
            search: query.search.as_str(),
        };
        let (rows, total) = directory::tenants_with_subscriptions(
            &self.db,
            &filter,
            query.sort,
            query.dir,
            window,
            MAX_PAGE_SIZE,
        )
        .await?;
        if rows.is_empty() {
            return Ok(Overview {
                results: 0,
                pages: 0,
                page: page.max(1),
                tenants: Vec::new(),
            });
        }
        let info = self
            .tokens
            .page_info(&scope, &query, window, rows.len(), count(total));
        Ok(Overview {
            results: info.results,
            pages: info.pages,
            page: info.page,
            tenants: rows.into_iter().map(tenant_with_subscriptions).collect(),
        })
    }

    /// `GET …/tenants/{uuid}`: one tenant of the caller's tree; 404 for any other.
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn tenant(
        &self,
        caller: &Caller,
        instance: &DraasInstance,
        uuid: TenantUuid,
    ) -> Result<Tenant, AppError> {
        caller.require(Role::TenantRead)?;
        let instance_id = self.instance_id(caller, instance)?;
        directory::node_in_tree(&self.db, instance_id, caller.node_id, uuid.uuid(), "tenant")
            .await?
            .map(tenant)
            .ok_or_else(|| tenant_not_found(uuid))
    }

    /// `GET …/tenants/{uuid}/subscriptions`: a page of a tenant's subscriptions, each
    /// with its MS Teams state.
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn subscriptions(
        &self,
        caller: &Caller,
        instance: &DraasInstance,
        tenant: TenantUuid,
        query: &ListQuery<SubscriptionSort>,
    ) -> Result<SubscriptionList, AppError> {
        caller.require(Role::SubscriptionsList)?;
        let instance_id = self.instance_id(caller, instance)?;
        directory::tenant_in_tree(&self.db, instance_id, tenant.uuid(), caller.node_id)
            .await?
            .ok_or_else(|| tenant_not_found(tenant))?;
        let scope = format!(
            "{}/tenants/{}/subscriptions",
            instance.as_str(),
            tenant.uuid()
        );
        let window = self.tokens.window(&scope, query)?;
        let (rows, total) = directory::list_subscriptions(
            &self.db,
            tenant.uuid(),
            query.search.as_str(),
            query.sort,
            query.dir,
            window,
        )
        .await?;
        if rows.is_empty() {
            return Err(AppError::NotFound("No subscription found".into()));
        }
        let info = self
            .tokens
            .page_info(&scope, query, window, rows.len(), count(total));
        Ok(SubscriptionList {
            results: info.results,
            pages: info.pages,
            page: info.page,
            next: info.next,
            subscriptions: rows.into_iter().map(subscription_item).collect(),
        })
    }

    /// `GET …/tenants/{uuid}/subscriptions/{subscription_id}`: one subscription of the
    /// caller's tree, as the list shows it; 404 for any other.
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn subscription_item(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<Subscription, AppError> {
        self.subscription_summary(caller, path)
            .await
            .map(|(_, subscription)| subscription)
    }

    /// The nodes of `level` a list query selects: below `parent` when it names a group,
    /// distributor or reseller of the caller's tree, else at or below the caller's node.
    /// A `parent` outside the tree finds nothing, like one without such nodes (404).
    async fn nodes(
        &self,
        caller: &Caller,
        instance: &DraasInstance,
        level: Level,
        query: &ListQuery<NodeSort>,
    ) -> Result<Found<NodeRow>, AppError> {
        self.instance_id(caller, instance)?;
        let nothing = || AppError::NotFound(format!("No {} found", level.kind()));
        let scope = format!("{}/{}", instance.as_str(), level.plural());
        let window = self.tokens.window(&scope, query)?;
        let (root, include_root) = match query.parent {
            Some(parent) => {
                if !directory::partner_in_tree(&self.db, caller.node_id, parent).await? {
                    return Err(nothing());
                }
                (parent, false)
            }
            None => (caller.node_id, true),
        };
        let filter = NodeFilter {
            kind: level.kind(),
            root,
            include_root,
            search: query.search.as_str(),
        };
        let (rows, total) =
            directory::list_nodes(&self.db, &filter, query.sort, query.dir, window).await?;
        if rows.is_empty() {
            return Err(nothing());
        }
        Ok(Found {
            info: self
                .tokens
                .page_info(&scope, query, window, rows.len(), count(total)),
            items: rows,
        })
    }

    /// The subscription a path names, if it lies in the caller's tree of authority; 404
    /// otherwise, whether it does not exist or is someone else's.
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn subscription(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<SubscriptionRecord, AppError> {
        let instance_id = self.instance_id(caller, &path.instance)?;
        directory::subscription_in_tree(
            &self.db,
            instance_id,
            path.tenant.uuid(),
            path.subscription.get(),
            caller.node_id,
        )
        .await?
        .ok_or_else(AppError::subscription_not_found)
    }

    /// A subscription in the caller's tree, with its tenant's name, as the list shows it
    /// (the UI's subscription page).
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn subscription_summary(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<(String, Subscription), AppError> {
        caller.require(Role::SubscriptionRead)?;
        let record = self.subscription(caller, path).await?;
        let row = directory::subscription_row(&self.db, record.id)
            .await?
            .ok_or_else(AppError::subscription_not_found)?;
        Ok((record.tenant_name, subscription_item(row)))
    }

    /// The subscription, which must be one that can hold an MS Teams tenant.
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn msteams_subscription(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<SubscriptionRecord, AppError> {
        let subscription = self.subscription(caller, path).await?;
        if subscription.license_type != LicenseType::Msteams {
            return Err(AppError::invalid(
                "wrong_license_type",
                format!(
                    "Subscription {} has license type {}; MS Teams needs an msteams subscription",
                    subscription.id, subscription.license_type
                ),
            ));
        }
        Ok(subscription)
    }

    /// The caller's own instance: it is loaded with the session, so no query is needed.
    fn instance_id(&self, caller: &Caller, instance: &DraasInstance) -> Result<i64, AppError> {
        if instance.as_str() == caller.instance_slug {
            Ok(caller.instance_id)
        } else {
            Err(AppError::NotFound(format!(
                "No DRaaS instance '{}' for this administrator",
                instance.as_str()
            )))
        }
    }
}

fn tenant_not_found(tenant: TenantUuid) -> AppError {
    AppError::NotFound(format!(
        "No tenant {} in your tree of authority",
        tenant.uuid()
    ))
}

fn count(total: i64) -> u64 {
    u64::try_from(total).unwrap_or(0)
}

/// The Owner object of a node whose parent is a distributor or a reseller.
fn owner(row: &NodeRow) -> Option<Owner> {
    let parent = row.parent.as_ref()?;
    let kind = match parent.kind.as_str() {
        "distributor" => OwnerType::Distributor,
        "reseller" => OwnerType::Reseller,
        _ => return None,
    };
    Some(Owner {
        kind,
        uuid: parent.id,
        name: parent.name.clone(),
    })
}

fn tenant(row: NodeRow) -> Tenant {
    Tenant {
        owner: owner(&row),
        uuid: row.id,
        name: row.name,
        billing_id: row.billing_id,
    }
}

fn tenant_with_subscriptions(
    (row, subscriptions): (NodeRow, Vec<SubscriptionRow>),
) -> TenantWithSubscriptions {
    TenantWithSubscriptions {
        tenant: tenant(row),
        subscriptions: subscriptions.into_iter().map(subscription_item).collect(),
    }
}

fn partner(row: NodeRow) -> Partner {
    Partner {
        owner: owner(&row),
        uuid: row.id,
        name: row.name,
        billing_id: row.billing_id,
    }
}

fn subscription_item(row: SubscriptionRow) -> Subscription {
    Subscription {
        id: row.id,
        name: row.name,
        license_type: row.license_type,
        direct_routing_users: u32::try_from(row.direct_routing_users).unwrap_or(u32::MAX),
        ms_teams: ms_teams_state(
            row.own_status,
            row.own_ms_tenant_id.or(row.linked_ms_tenant_id),
            row.own_domain.or(row.linked_domain),
            row.own_step,
            row.linked_to,
        ),
    }
}

/// One word for where a subscription stands, from its own MS Teams tenant or its link.
pub fn ms_teams_state(
    own_status: Option<TenantState>,
    ms_tenant_id: Option<String>,
    domain: Option<String>,
    step: Option<i64>,
    linked_to: Option<i64>,
) -> MsTeamsState {
    let state = match (own_status, linked_to) {
        (Some(status), _) => OnboardingState::from(status),
        (None, Some(_)) => OnboardingState::Linked,
        (None, None) => OnboardingState::NotOnboarded,
    };
    let step = match state {
        OnboardingState::Onboarding | OnboardingState::Failed => {
            step.and_then(|s| u8::try_from(s).ok())
        }
        _ => None,
    };
    MsTeamsState {
        state,
        ms_tenant_id,
        domain,
        step,
        linked_to,
    }
}
