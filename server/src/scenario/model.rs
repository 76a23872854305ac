//! What a scenario file holds: the Fusion side (DRaaS instances, the group → distributor
//! → reseller → tenant tree, subscriptions and their users, administrators, onboarded MS
//! Teams tenants and links) and the simulated Microsoft side (tenants, licenses, faults).
//! Field names are camelCase, as in the API; an unknown field is a mistake.

use std::collections::BTreeMap;

use app::api_types::{AdminLevel, LicenseType, SimFault, SkuPart};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::roles::builtin_profiles;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::scenario)]
pub struct Scenario {
    /// The DRaaS instances; the first gets id 1.
    pub instances: Vec<Instance>,
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Each below a group.
    #[serde(default)]
    pub distributors: Vec<Node>,
    /// Each below a group or a distributor.
    #[serde(default)]
    pub resellers: Vec<Node>,
    /// Each below a group, a distributor or a reseller.
    #[serde(default)]
    pub tenants: Vec<Node>,
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionSpec>,
    #[serde(default)]
    pub admins: Vec<AdminSpec>,
    /// MS Teams tenants onboarded before the scenario starts (their simulated MS tenant
    /// is made too, holding the voice routing objects the onboarding made).
    #[serde(default)]
    pub onboarded: Vec<OnboardedSpec>,
    /// Subscriptions that share the MS Teams tenant of an onboarded one.
    #[serde(default)]
    pub links: Vec<LinkSpec>,
    #[serde(default)]
    pub simulator: SimulatorSpec,
}

/// A DRaaS instance: `slug` is the `{draas_instance}` of the paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::instance)]
pub struct Instance {
    #[schema(example = "demo")]
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::group)]
pub struct Group {
    pub uuid: Uuid,
    /// The slug of its DRaaS instance.
    pub instance: String,
    pub name: String,
    pub billing_id: String,
    /// The Azure AD application's display name that `create_app.ps1` registers
    /// (default "Fusion DRaaS " and the group's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_display_name: Option<String>,
    /// How long a minted application secret lasts (default 12 months).
    #[serde(default = "default_secret_lifetime")]
    pub secret_lifetime_months: u32,
}

fn default_secret_lifetime() -> u32 {
    12
}

/// A distributor, reseller or tenant, below `parent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::node)]
pub struct Node {
    pub uuid: Uuid,
    pub name: String,
    pub billing_id: String,
    pub parent: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::subscription)]
pub struct SubscriptionSpec {
    /// The subscription's number, unique in the scenario.
    pub id: i64,
    pub tenant: Uuid,
    pub name: String,
    pub license_type: LicenseType,
    /// The subscription's Fusion users.
    #[serde(default)]
    pub users: Vec<FusionUserSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::fusion_user)]
pub struct FusionUserSpec {
    pub username: String,
    /// Whether the user has direct routing (the wizard enables it in MS Teams).
    #[serde(default)]
    pub direct_routing: bool,
}

/// An administrator of the portal. `password` is hashed when the scenario loads; an
/// exported scenario leaves it out, and such an account cannot sign in until
/// `server admin passwd` gives it one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::admin)]
pub struct AdminSpec {
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    pub display_name: String,
    /// The level of `node`.
    pub level: AdminLevel,
    pub node: Uuid,
    /// A built-in profile: `msteams-admin`, `mock-admin`, `msteams-tenant-admin` or
    /// `read-only`.
    #[schema(value_type = BuiltInProfile)]
    pub profile: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<SecondFactorSpec>,
}

/// In the OpenAPI document, a profile's name: an enum of the built-in profiles.
pub struct BuiltInProfile;

impl utoipa::PartialSchema for BuiltInProfile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let names: Vec<&str> = builtin_profiles()
            .into_iter()
            .map(|(name, _, _)| name)
            .collect();
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(names))
            .description(Some("A built-in profile, which grants a set of roles."))
            .into()
    }
}

impl utoipa::ToSchema for BuiltInProfile {}

/// How an administrator proves it is itself from a device it has not trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::second_factor)]
pub enum SecondFactorSpec {
    /// Codes e-mailed (to the simulated outbox) to this address.
    Email(String),
    /// TOTP with this Base32 shared secret.
    Totp(String),
}

/// A subscription whose MS Teams tenant is onboarded already.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::onboarded)]
pub struct OnboardedSpec {
    pub subscription: i64,
    pub ms_tenant_id: Uuid,
    /// The tenant's direct routing domain.
    pub domain: String,
    pub application_id: Uuid,
    /// The application's secret (stored encrypted).
    pub secret: String,
    /// The MS Teams administrator account.
    pub administrator: String,
    pub administrator_password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::link)]
pub struct LinkSpec {
    pub subscription: i64,
    /// The onboarded subscription whose MS Teams tenant it shares.
    pub to: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::simulator)]
pub struct SimulatorSpec {
    #[serde(default)]
    pub tenants: Vec<SimTenantSpec>,
}

/// A simulated MS tenant, ready to be onboarded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = examples::sim_tenant)]
pub struct SimTenantSpec {
    pub id: Uuid,
    pub name: String,
    /// Free licenses by SKU part number (default two of each).
    #[serde(default = "default_licenses")]
    pub licenses: BTreeMap<SkuPart, u32>,
    #[serde(default)]
    pub faults: Vec<SimFault>,
    /// The node it was made for: only that node's tree (and group admins) see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Uuid>,
}

pub fn default_licenses() -> BTreeMap<SkuPart, u32> {
    BTreeMap::from([(SkuPart::E1, 2), (SkuPart::E3, 2), (SkuPart::E5, 2)])
}

/// The OpenAPI document's examples: the demo scenario (`scenarios/demo.json`), and for
/// each part of a scenario, one of the demo's.
mod examples {
    use serde_json::Value;

    fn demo() -> Value {
        serde_json::from_str(super::super::DEMO_TEXT).expect("the demo scenario is JSON")
    }

    /// The first item of the demo's `list` that has `member`.
    fn first_with(list: &str, member: &str) -> Value {
        demo()[list]
            .as_array()
            .and_then(|items| items.iter().find(|item| item.get(member).is_some()))
            .cloned()
            .unwrap_or_default()
    }

    pub fn scenario() -> Value {
        demo()
    }

    pub fn instance() -> Value {
        first_with("instances", "slug")
    }

    pub fn group() -> Value {
        first_with("groups", "uuid")
    }

    pub fn node() -> Value {
        first_with("resellers", "uuid")
    }

    pub fn subscription() -> Value {
        first_with("subscriptions", "users")
    }

    pub fn fusion_user() -> Value {
        subscription()["users"][0].clone()
    }

    pub fn admin() -> Value {
        first_with("admins", "secondFactor")
    }

    pub fn second_factor() -> Value {
        admin()["secondFactor"].clone()
    }

    pub fn onboarded() -> Value {
        first_with("onboarded", "subscription")
    }

    pub fn link() -> Value {
        first_with("links", "to")
    }

    pub fn simulator() -> Value {
        let tenants: Vec<Value> = demo()["simulator"]["tenants"]
            .as_array()
            .map(|tenants| tenants.iter().take(2).cloned().collect())
            .unwrap_or_default();
        serde_json::json!({ "tenants": tenants })
    }

    pub fn sim_tenant() -> Value {
        demo()["simulator"]["tenants"][1].clone()
    }
}
