//! The exact role strings of the vendor page, and our extensions.

pub const APPLICATIONS_CREATE: &str =
    "tenants.instance.subscriptions.instance.msteams.applications.create";
pub const WIZARD_START: &str = "tenants.instance.subscriptions.instance.msteams.wizard.start";
pub const WIZARD_READ: &str = "tenants.instance.subscriptions.instance.msteams.wizard.read";
pub const UPDATE_VRP: &str = "tenants.instance.subscriptions.instance.msteams.update.vrp";
pub const DOWNLOAD_CREATE_APP: &str =
    "tenants.instance.subscriptions.instance.downloads.create_app";
pub const SECRET_RESET: &str = "tenants.instance.subscriptions.instance.msteams.secret.reset";
pub const UNLINK: &str = "tenants.instance.subscriptions.instance.msteams.unlink";
pub const SOURCE_LIST: &str = "tenants.instance.subscriptions.instance.msteams.source.list";
pub const LINK: &str = "tenants.instance.subscriptions.instance.msteams.link";
pub const STATUS_READ: &str = "tenants.instance.subscriptions.instance.msteams.status.read";
/// Ours (no source names a role for `msteams/admins`): store, replace or remove the MS
/// Teams administrator account (`POST`/`DELETE …/msteams/admins`).
pub const ADMINISTRATOR_UPDATE: &str =
    "tenants.instance.subscriptions.instance.msteams.administrator.update";
/// Ours: read the stored MS Teams administrator account (`GET …/msteams/admins`).
pub const ADMINISTRATOR_READ: &str =
    "tenants.instance.subscriptions.instance.msteams.administrator.read";
/// The platform's lists (public docs: `groups.list`, `distributors.list`,
/// `resellers.list`, `tenants.list`; the vendor client: `tenants.instance.read`,
/// `tenants.instance.subscriptions.list`).
pub const GROUPS_LIST: &str = "groups.list";
pub const DISTRIBUTORS_LIST: &str = "distributors.list";
pub const RESELLERS_LIST: &str = "resellers.list";
pub const TENANTS_LIST: &str = "tenants.list";
pub const TENANT_READ: &str = "tenants.instance.read";
pub const SUBSCRIPTIONS_LIST: &str = "tenants.instance.subscriptions.list";
/// Ours (no source names the role of `GET …/subscriptions/{subscription_id}`).
pub const SUBSCRIPTION_READ: &str = "tenants.instance.subscriptions.instance.read";
/// The lists a read-only profile holds with the `.read` roles (not `…msteams.source.list`,
/// which belongs to linking).
pub const LISTS: &[&str] = &[
    GROUPS_LIST,
    DISTRIBUTORS_LIST,
    RESELLERS_LIST,
    TENANTS_LIST,
    SUBSCRIPTIONS_LIST,
];

/// Extension: drive the embedded Microsoft simulator (`/sim/v1`).
pub const SIMULATOR_MANAGE: &str = "simulator.manage";

/// Every MS Teams role, as held by group, distributor and reseller admins.
pub const ALL: &[&str] = &[
    APPLICATIONS_CREATE,
    WIZARD_START,
    WIZARD_READ,
    UPDATE_VRP,
    DOWNLOAD_CREATE_APP,
    SECRET_RESET,
    UNLINK,
    SOURCE_LIST,
    LINK,
    STATUS_READ,
    ADMINISTRATOR_UPDATE,
    ADMINISTRATOR_READ,
    GROUPS_LIST,
    DISTRIBUTORS_LIST,
    RESELLERS_LIST,
    TENANTS_LIST,
    TENANT_READ,
    SUBSCRIPTIONS_LIST,
    SUBSCRIPTION_READ,
    SIMULATOR_MANAGE,
];

/// The built-in profiles: name, description, roles.
pub fn builtin_profiles() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    let tenant_admin = ALL
        .iter()
        .copied()
        .filter(|role| {
            ![
                SOURCE_LIST,
                LINK,
                SIMULATOR_MANAGE,
                GROUPS_LIST,
                DISTRIBUTORS_LIST,
                RESELLERS_LIST,
            ]
            .contains(role)
        })
        .collect();
    let read_only = ALL
        .iter()
        .copied()
        .filter(|role| role.ends_with(".read") || LISTS.contains(role))
        .collect();
    vec![
        (
            "msteams-admin",
            "All MS Teams roles (group, distributor and reseller admins)",
            ALL.to_vec(),
        ),
        (
            "msteams-tenant-admin",
            "All MS Teams roles but sources, link, the simulator and the group, distributor and reseller lists (tenant admins)",
            tenant_admin,
        ),
        ("read-only", "Only the .read roles and the lists", read_only),
    ]
}
