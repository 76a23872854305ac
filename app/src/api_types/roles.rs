//! The roles a profile grants, one definition shared by the server (which requires
//! them) and the UI (which offers only what the signed-in administrator may do).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares `Role` with each variant's wire string, written once.
macro_rules! roles {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// A role string of the platform: the vendor page's for the MS Teams endpoints,
        /// the public docs' and the vendor client's for the lists, and ours where no
        /// source names one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Role {
            $($(#[$doc])* $variant,)*
        }

        impl Role {
            /// Every role this server knows.
            pub const ALL: &'static [Role] = &[$(Role::$variant,)*];

            /// The role string.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Role::$variant => $name,)*
                }
            }
        }
    };
}

roles! {
    ApplicationsCreate = "tenants.instance.subscriptions.instance.msteams.applications.create",
    WizardStart = "tenants.instance.subscriptions.instance.msteams.wizard.start",
    WizardRead = "tenants.instance.subscriptions.instance.msteams.wizard.read",
    UpdateVrp = "tenants.instance.subscriptions.instance.msteams.update.vrp",
    DownloadCreateApp = "tenants.instance.subscriptions.instance.downloads.create_app",
    SecretReset = "tenants.instance.subscriptions.instance.msteams.secret.reset",
    Unlink = "tenants.instance.subscriptions.instance.msteams.unlink",
    SourceList = "tenants.instance.subscriptions.instance.msteams.source.list",
    Link = "tenants.instance.subscriptions.instance.msteams.link",
    StatusRead = "tenants.instance.subscriptions.instance.msteams.status.read",
    /// Ours (no source names a role for `msteams/admins`): store, replace or remove
    /// the MS Teams administrator account (`POST`/`DELETE …/msteams/admins`).
    AdministratorUpdate = "tenants.instance.subscriptions.instance.msteams.administrator.update",
    /// Ours: read the stored MS Teams administrator account (`GET …/msteams/admins`).
    AdministratorRead = "tenants.instance.subscriptions.instance.msteams.administrator.read",
    /// The public docs' lists.
    GroupsList = "groups.list",
    DistributorsList = "distributors.list",
    ResellersList = "resellers.list",
    TenantsList = "tenants.list",
    /// The vendor client's.
    TenantRead = "tenants.instance.read",
    SubscriptionsList = "tenants.instance.subscriptions.list",
    /// Ours (no source names the role of `GET …/subscriptions/{subscription_id}`).
    SubscriptionRead = "tenants.instance.subscriptions.instance.read",
    /// Ours: drive the embedded Microsoft simulator (`/sim/v1`).
    SimulatorManage = "simulator.manage",
    /// Ours: the mock controls (`/mock/v1`: reset, export, replace the scenario), for
    /// group admins of a server that runs a scenario.
    MockManage = "mock.manage",
}

impl Role {
    /// The role with this string, if this server knows it.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|role| role.as_str() == name)
    }

    /// The lists (the platform's `….list` roles), which a read-only profile holds.
    pub fn is_list(self) -> bool {
        self.as_str().ends_with(".list") && self != Role::SourceList
    }

    /// A `….read` role.
    pub fn is_read(self) -> bool {
        self.as_str().ends_with(".read")
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// In the OpenAPI document, `Role` is an enum of every role string.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Role {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Role::ALL.iter().map(|role| role.as_str())))
            .description(Some(
                "A role string of the platform: the vendor page's for the MS Teams endpoints, \
                 the public docs' and the vendor client's for the lists, and ours where no \
                 source names one.",
            ))
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Role {}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Role::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown role '{name}'")))
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn every_role_parses_back_and_is_written_once() {
        let mut names: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Role::ALL.len());
        assert_eq!(Role::parse("tenants.instance.write"), None);
    }

    #[test]
    fn the_lists_are_the_platform_list_roles() {
        let lists: Vec<Role> = Role::ALL.iter().copied().filter(|r| r.is_list()).collect();
        assert_eq!(
            lists,
            [
                Role::GroupsList,
                Role::DistributorsList,
                Role::ResellersList,
                Role::TenantsList,
                Role::SubscriptionsList
            ]
        );
    }
}
