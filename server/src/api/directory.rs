//! The lists of the public Fusion documentation: groups, distributors, resellers,
//! tenants (with get one) and a tenant's subscriptions (with get one).
//!
//! Every list takes `search`, `sort`, `dir`, `page_size` (default 10), `next` (the
//! continuation token of the previous page) and `page`, answers
//! `{results, pages, page, next?, <items>}`, and 404 "No … found" when nothing matches.

use app::api_types::{
    DistributorList, GroupList, Problem, ResellerList, Subscription, SubscriptionList, Tenant,
    TenantList,
};
use axum::{Json, extract::State};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::{Authenticated, ListParams},
    paths::{ApiPath, InstanceSegments, SubscriptionSegments, TenantSegments},
    responses::{Forbidden, ListRefusals},
};
use crate::{
    domain::{
        AppError,
        listing::{Dir, NodeSort, SubscriptionSort},
    },
    state::AppState,
};

/// The lists, and one tenant or subscription.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(groups))
        .routes(routes!(distributors))
        .routes(routes!(resellers))
        .routes(routes!(tenants))
        .routes(routes!(tenant))
        .routes(routes!(subscriptions))
        .routes(routes!(subscription))
}

/// Declares the query parameters of a list for the OpenAPI document.
macro_rules! list_query_doc {
    ($name:ident, $sort:ty, $search:literal $(, $parent:ident: $parent_doc:literal)?) => {
        #[derive(utoipa::IntoParams)]
        #[into_params(parameter_in = Query)]
        #[allow(dead_code)] // Only describes the query for the OpenAPI document.
        struct $name {
            #[doc = $search]
            #[param(max_length = 100, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
            search: Option<String>,
            /// The property to sort on.
            #[param(inline)]
            sort: Option<$sort>,
            /// The sort direction (default `asc`).
            #[param(inline)]
            dir: Option<Dir>,
            $(
                #[doc = $parent_doc]
                $parent: Option<uuid::Uuid>,
            )?
            /// Items per page, 1 to 1000 (default 10).
            #[param(minimum = 1, maximum = 1000, default = 10)]
            page_size: Option<u32>,
            /// The continuation token of the previous page's `next`, sent with the same
            /// other parameters; it takes precedence over `page`. Any other value is 400.
            #[param(pattern = r"^[A-Za-z0-9_-]{32}$")]
            next: Option<String>,
            /// The page, from 1 (default 1); the platform's own client sends it.
            #[param(minimum = 1, maximum = 2147483647, default = 1)]
            page: Option<u32>,
        }
    };
}

list_query_doc!(
    GroupQuery,
    NodeSort,
    "Only groups whose name or billing id contains this text, ignoring case (at most 100 characters)",
    parent: "Only the groups below this node of the caller's tree of authority: no group lies below another, so this finds none (404)"
);
list_query_doc!(
    DistributorQuery,
    NodeSort,
    "Only distributors whose name or billing id contains this text, ignoring case (at most 100 characters)",
    parent: "Only the distributors below this group of the caller's tree of authority"
);
list_query_doc!(
    ResellerQuery,
    NodeSort,
    "Only resellers whose name or billing id contains this text, ignoring case (at most 100 characters)",
    parent: "Only the resellers below this group, distributor or reseller of the caller's tree of authority"
);
list_query_doc!(
    TenantQuery,
    NodeSort,
    "Only tenants whose name or billing id contains this text, ignoring case (at most 100 characters)",
    parent: "Only the tenants served, directly or through resellers, by this group, distributor or reseller of the caller's tree of authority"
);
list_query_doc!(
    SubscriptionQuery,
    SubscriptionSort,
    "Only subscriptions whose name contains this text, ignoring case (at most 100 characters)"
);

/// Declares the handler of a node list: the domain's `Directory::list` for `$list`.
macro_rules! node_list_handler {
    ($(#[$doc:meta])* $name:ident, $path:tt, $query:ident, $list:ident, $found:tt, $none:tt) => {
        $(#[$doc])*
        #[utoipa::path(get, path = $path, tag = "directory", security(("bearer" = [])),
            params(InstanceSegments, $query),
            responses(
                (status = 200, description = $found, body = $list),
                ListRefusals,
                (status = 404, description = $none, body = Problem),
            ))]
        pub async fn $name(
            State(state): State<AppState>,
            Authenticated(caller): Authenticated,
            ApiPath(instance): ApiPath<InstanceSegments>,
            ListParams(query): ListParams<NodeSort>,
        ) -> Result<Json<$list>, AppError> {
            let list = state.directory.list(&caller, &instance, &query).await?;
            Ok(Json(list))
        }
    };
}

node_list_handler!(
    /// The groups in the caller's tree of authority: its own, for a group admin.
    ///
    /// Public docs: `GET …/groups`, role `groups.list` (no `parent`: there is no system
    /// administrator above the groups here).
    groups, "/draas/{draas_instance}/groups", GroupQuery, GroupList,
    "One or more groups found",
    "No group found (also for a DRaaS instance that is not the caller's, and for a page beyond the last)"
);
node_list_handler!(
    /// The distributors in the caller's tree of authority.
    ///
    /// Public docs: `GET …/distributors`, role `distributors.list`.
    distributors, "/draas/{draas_instance}/distributors", DistributorQuery, DistributorList,
    "One or more distributors found",
    "No distributor found (also for a `parent` outside the caller's tree of authority, a DRaaS instance that is not the caller's, and a page beyond the last)"
);
node_list_handler!(
    /// The resellers in the caller's tree of authority: a reseller gets itself.
    ///
    /// Public docs: `GET …/resellers`, role `resellers.list`.
    resellers, "/draas/{draas_instance}/resellers", ResellerQuery, ResellerList,
    "One or more resellers found",
    "No reseller found (also for a `parent` outside the caller's tree of authority, a DRaaS instance that is not the caller's, and a page beyond the last)"
);
node_list_handler!(
    /// The tenants in the caller's tree of authority.
    ///
    /// Public docs: `GET …/tenants`, role `tenants.list`. `search` matches the name and
    /// the billing id.
    tenants, "/draas/{draas_instance}/tenants", TenantQuery, TenantList,
    "One or more tenants found",
    "No tenant found (also for a `parent` outside the caller's tree of authority, a DRaaS instance that is not the caller's, and a page beyond the last)"
);

/// One tenant of the caller's tree of authority.
///
/// The vendor's client: `GET …/tenants/{uuid}`, role `tenants.instance.read`.
#[utoipa::path(get, path = "/draas/{draas_instance}/tenants/{uuid}", tag = "directory", security(("bearer" = [])),
    params(TenantSegments),
    responses(
        (status = 200, description = "The tenant", body = Tenant),
        Forbidden,
        (status = 404, description = "The tenant doesn't exist or lies outside the caller's tree of authority", body = Problem),
    ))]
pub async fn tenant(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((instance, uuid)): ApiPath<TenantSegments>,
) -> Result<Json<Tenant>, AppError> {
    Ok(Json(
        state.directory.tenant(&caller, &instance, uuid).await?,
    ))
}

/// A tenant's subscriptions, each with its MS Teams state (extension).
///
/// The vendor's client: `GET …/tenants/{uuid}/subscriptions`, role
/// `tenants.instance.subscriptions.list`, body `{subscriptions, page, pages, results}`.
#[utoipa::path(get, path = "/draas/{draas_instance}/tenants/{uuid}/subscriptions", tag = "directory", security(("bearer" = [])),
    params(TenantSegments, SubscriptionQuery),
    responses(
        (status = 200, description = "One or more subscriptions found", body = SubscriptionList),
        ListRefusals,
        (status = 404, description = "No subscription found, or the tenant doesn't exist or lies outside the caller's tree of authority", body = Problem),
    ))]
pub async fn subscriptions(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((instance, tenant)): ApiPath<TenantSegments>,
    ListParams(query): ListParams<SubscriptionSort>,
) -> Result<Json<SubscriptionList>, AppError> {
    Ok(Json(
        state
            .directory
            .subscriptions(&caller, &instance, tenant, &query)
            .await?,
    ))
}

/// One subscription of a tenant, as the list shows it.
///
/// The vendor's client: `GET …/subscriptions/{subscription_id}`; no source names its
/// role: `tenants.instance.subscriptions.instance.read` is ours.
#[utoipa::path(get, path = super::SUBSCRIPTION, tag = "directory", security(("bearer" = [])),
    params(SubscriptionSegments),
    responses(
        (status = 200, description = "The subscription", body = Subscription),
        Forbidden,
        (status = 404, description = "The tenant or subscription doesn't exist or lies outside the caller's tree of authority", body = Problem),
    ))]
pub async fn subscription(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
) -> Result<Json<Subscription>, AppError> {
    Ok(Json(
        state.directory.subscription_item(&caller, &path).await?,
    ))
}
