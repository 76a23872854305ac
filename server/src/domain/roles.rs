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
pub const ADMINISTRATOR_UPDATE: &str =
    "tenants.instance.subscriptions.instance.msteams.administrator.update";
/// Extension: list the tenants in the caller's tree of authority.
pub const TENANTS_READ: &str = "tenants.read";
/// Extension: list a tenant's subscriptions.
pub const SUBSCRIPTIONS_READ: &str = "tenants.instance.subscriptions.read";

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
    TENANTS_READ,
    SUBSCRIPTIONS_READ,
    SIMULATOR_MANAGE,
];

/// The built-in profiles: name, description, roles.
pub fn builtin_profiles() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    let tenant_admin = ALL
        .iter()
        .copied()
        .filter(|role| ![SOURCE_LIST, LINK, SIMULATOR_MANAGE].contains(role))
        .collect();
    let read_only = ALL
        .iter()
        .copied()
        .filter(|role| role.ends_with(".read"))
        .collect();
    vec![
        (
            "msteams-admin",
            "All MS Teams roles (group, distributor and reseller admins)",
            ALL.to_vec(),
        ),
        (
            "msteams-tenant-admin",
            "All MS Teams roles but sources, link and the simulator (tenant admins)",
            tenant_admin,
        ),
        ("read-only", "Only the .read roles", read_only),
    ]
}
