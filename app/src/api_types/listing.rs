//! The lists of the public Fusion documentation: groups, distributors, resellers, tenants
//! and a tenant's subscriptions. Each answers `{results, pages, page, next?, <items>}`,
//! where `results` is the number of items over all pages and `next` the continuation
//! token of the next page, present only when there is one.

use serde::{Deserialize, Serialize};

/// Declares a list body: the shared envelope and the array named after the collection.
macro_rules! list_body {
    ($(#[$doc:meta])* $name:ident, $items:ident: $item:ty, example = $example:tt) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "ssr", schema(example = json!($example)))]
        pub struct $name {
            /// The number of items over all pages.
            #[cfg_attr(feature = "ssr", schema(minimum = 1))]
            pub results: u64,
            /// The number of pages of this `page_size`.
            #[cfg_attr(feature = "ssr", schema(minimum = 1))]
            pub pages: u32,
            /// The page returned, from 1.
            #[cfg_attr(feature = "ssr", schema(minimum = 1))]
            pub page: u32,
            /// The continuation token of the next page: send it back as `next`, with the
            /// same other query parameters. Absent on the last page.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = r"^[A-Za-z0-9_-]{32}$"))]
            pub next: Option<String>,
            pub $items: Vec<$item>,
        }
    };
}

list_body!(
    /// A page of the groups in the caller's tree of authority.
    GroupList, groups: Partner,
    example = {
        "results": 1,
        "pages": 1,
        "page": 1,
        "groups": [
            {"uuid": "10000000-0000-4000-8000-000000000001", "name": "Netaxis Group", "billingId": "NETAXIS-GRP"}
        ]
    }
);
list_body!(
    /// A page of the distributors in the caller's tree of authority.
    DistributorList, distributors: Partner,
    example = {
        "results": 1,
        "pages": 1,
        "page": 1,
        "distributors": [
            {"uuid": "20000000-0000-4000-8000-000000000001", "name": "Benelux Distribution", "billingId": "BENELUX-DIST"}
        ]
    }
);
list_body!(
    /// A page of the resellers in the caller's tree of authority.
    ResellerList, resellers: Partner,
    example = {
        "results": 2,
        "pages": 1,
        "page": 1,
        "resellers": [
            {
                "uuid": "30000000-0000-4000-8000-000000000001",
                "name": "Alpha Telecom",
                "billingId": "ALPHA-RES",
                "owner": {"type": "distributor", "uuid": "20000000-0000-4000-8000-000000000001", "name": "Benelux Distribution"}
            },
            {
                "uuid": "30000000-0000-4000-8000-000000000002",
                "name": "Beta Voice",
                "billingId": "BETA-RES",
                "owner": {"type": "distributor", "uuid": "20000000-0000-4000-8000-000000000001", "name": "Benelux Distribution"}
            }
        ]
    }
);
list_body!(
    /// A page of the tenants in the caller's tree of authority.
    TenantList, tenants: Tenant,
    example = {
        "results": 4,
        "pages": 2,
        "page": 1,
        "next": "k3Rz0xQ8bVn2LmPa5YwE7cTq9HuJd1Gf",
        "tenants": [
            {
                "uuid": "40000000-0000-4000-8000-000000000001",
                "name": "Acme Corp",
                "billingId": "ACME-001",
                "owner": {"type": "reseller", "uuid": "30000000-0000-4000-8000-000000000001", "name": "Alpha Telecom"}
            },
            {
                "uuid": "40000000-0000-4000-8000-000000000002",
                "name": "Globex",
                "billingId": "GLOBEX-001",
                "owner": {"type": "reseller", "uuid": "30000000-0000-4000-8000-000000000001", "name": "Alpha Telecom"}
            }
        ]
    }
);
list_body!(
    /// A page of a tenant's subscriptions.
    SubscriptionList, subscriptions: Subscription,
    example = {
        "results": 2,
        "pages": 1,
        "page": 1,
        "subscriptions": [
            {
                "id": 1,
                "name": "Acme Teams",
                "licenseType": "msteams",
                "directRoutingUsers": 2,
                "msTeams": {
                    "state": "onboarded",
                    "msTenantId": "27b418d0-b197-483d-a0b8-da90407a92c4",
                    "domain": "acme.draas.demo"
                }
            },
            {
                "id": 2,
                "name": "Acme SIP Trunk",
                "licenseType": "sip-trunks",
                "directRoutingUsers": 0,
                "msTeams": {"state": "not_onboarded"}
            }
        ]
    }
);

/// A tenant: an organisation with one or more subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "uuid": "40000000-0000-4000-8000-000000000001",
        "name": "Acme Corp",
        "billingId": "ACME-001",
        "owner": {"type": "reseller", "uuid": "30000000-0000-4000-8000-000000000001", "name": "Alpha Telecom"}
    }))
)]
pub struct Tenant {
    pub uuid: uuid::Uuid,
    pub name: String,
    pub billing_id: String,
    /// The distributor or reseller that serves the tenant; absent for a direct customer
    /// of the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub owner: Option<Owner>,
}

/// A group, distributor or reseller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "uuid": "30000000-0000-4000-8000-000000000001",
        "name": "Alpha Telecom",
        "billingId": "ALPHA-RES",
        "owner": {"type": "distributor", "uuid": "20000000-0000-4000-8000-000000000001", "name": "Benelux Distribution"}
    }))
)]
pub struct Partner {
    pub uuid: uuid::Uuid,
    pub name: String,
    pub billing_id: String,
    /// The distributor (or reseller) above it; absent when it sits directly under its
    /// group, and for a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub owner: Option<Owner>,
}

/// The platform's Owner object: the distributor or reseller a node belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"type": "reseller", "uuid": "30000000-0000-4000-8000-000000000001", "name": "Alpha Telecom"}))
)]
pub struct Owner {
    #[serde(rename = "type")]
    pub kind: OwnerType,
    pub uuid: uuid::Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OwnerType {
    Distributor,
    Reseller,
}

/// A subscription's license type (the platform's enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::Type))]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ssr", sqlx(rename_all = "kebab-case"))]
pub enum LicenseType {
    /// `msteams`: MS Teams direct routing.
    Msteams,
    /// `sip-trunks`.
    SipTrunks,
}

impl std::fmt::Display for LicenseType {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.serialize(formatter)
    }
}

/// A subscription of a tenant. `id`, `name` and `licenseType` are the platform's
/// (the name of the license type field is not confirmed by a public source);
/// `directRoutingUsers` and `msTeams` are extensions of this mock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "id": 1,
        "name": "Acme Teams",
        "licenseType": "msteams",
        "directRoutingUsers": 2,
        "msTeams": {
            "state": "onboarded",
            "msTenantId": "27b418d0-b197-483d-a0b8-da90407a92c4",
            "domain": "acme.draas.demo"
        }
    }))
)]
pub struct Subscription {
    /// The subscription's index.
    pub id: i64,
    pub name: String,
    pub license_type: LicenseType,
    /// Extension: how many of the subscription's Fusion users have direct routing enabled
    /// (an unlink is refused while any has).
    pub direct_routing_users: u32,
    /// Extension: where the subscription stands with MS Teams, in one word (the platform
    /// tells it through `…/msteams/status`).
    pub ms_teams: MsTeamsState,
}

/// Where a subscription stands with MS Teams (extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnboardingState {
    /// No MS Teams tenant, own or linked.
    NotOnboarded,
    /// The integration is stored; the wizard has not run.
    Pending,
    Onboarding,
    Onboarded,
    Failed,
    /// The subscription shares the MS Teams tenant of another one.
    Linked,
}

/// Extension: where a subscription stands in MS Teams onboarding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "state": "onboarded",
        "msTenantId": "27b418d0-b197-483d-a0b8-da90407a92c4",
        "domain": "acme.draas.demo"
    }))
)]
pub struct MsTeamsState {
    pub state: OnboardingState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms_tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// For `onboarding` and `failed`: the step (0-5) running or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u8>,
    /// For `linked`: the subscription that owns the MS Teams tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_to: Option<i64>,
}
