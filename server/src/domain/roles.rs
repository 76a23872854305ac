//! The built-in profiles: which roles (`app::api_types::Role`) each grants.

use app::api_types::Role;

/// The built-in profiles: name, description, roles.
pub fn builtin_profiles() -> Vec<(&'static str, &'static str, Vec<Role>)> {
    let all = Role::ALL.to_vec();
    // The mock controls rewrite every group's data: only a profile made for them has it.
    let msteams_admin = Role::ALL
        .iter()
        .copied()
        .filter(|role| *role != Role::MockManage)
        .collect();
    let tenant_admin = Role::ALL
        .iter()
        .copied()
        .filter(|role| {
            ![
                Role::SourceList,
                Role::Link,
                Role::SimulatorManage,
                Role::MockManage,
                Role::GroupsList,
                Role::DistributorsList,
                Role::ResellersList,
            ]
            .contains(role)
        })
        .collect();
    let read_only = Role::ALL
        .iter()
        .copied()
        .filter(|role| role.is_read() || role.is_list())
        .collect();
    vec![
        (
            "msteams-admin",
            "All MS Teams roles (group, distributor and reseller admins)",
            msteams_admin,
        ),
        (
            "mock-admin",
            "All MS Teams roles and the mock controls (a group admin of a test server)",
            all,
        ),
        (
            "msteams-tenant-admin",
            "All MS Teams roles but sources, link, the simulator, the mock controls and the group, distributor and reseller lists (tenant admins)",
            tenant_admin,
        ),
        ("read-only", "Only the .read roles and the lists", read_only),
    ]
}
