//! What the signed-in user may do on a subscription's page, and why not, from its roles
//! and what the page knows of the subscription. The page only shows it: the server
//! enforces the same rules regardless.

use crate::{
    api_types::{AdminLevel, CurrentUser, MsTeamsStatus, MsTeamsTenantStatus, Role},
    backend::SubscriptionPage,
};

/// Per action: `None` when the user may, else why not (shown beside the disabled
/// control).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    pub download_script: Option<String>,
    pub store_application: Option<String>,
    pub store_administrator: Option<String>,
    pub read_wizard: Option<String>,
    pub start_wizard: Option<String>,
    pub reset_secret: Option<String>,
    pub update_vrp: Option<String>,
    /// Whether the link section is shown at all: never to tenant admins.
    pub show_link: bool,
    pub link: Option<String>,
    pub unlink: Option<String>,
}

/// What `user` may do with the subscription of `page`.
pub fn permissions(user: &CurrentUser, page: &SubscriptionPage) -> Permissions {
    let status = page.status.as_ref();
    let has_tenant = status.is_some();
    let administered = status.is_some_and(|s| s.powershell.active);
    let onboarded = status.is_some_and(|s| s.status == MsTeamsTenantStatus::Onboarded);
    let refusal = |role: Role, refused: bool, why: &str| {
        if !user.may(role) {
            Some(format!("Your profile does not grant {role}"))
        } else {
            refused.then(|| why.to_owned())
        }
    };
    let unless_granted = |role: Role| refusal(role, false, "");
    Permissions {
        download_script: unless_granted(Role::DownloadCreateApp),
        store_application: unless_granted(Role::ApplicationsCreate),
        store_administrator: unless_granted(Role::AdministratorUpdate),
        read_wizard: unless_granted(Role::WizardRead),
        start_wizard: refusal(
            Role::WizardStart,
            !(integrated(status) && administered),
            "Store the application integration and the administrator first",
        ),
        reset_secret: refusal(
            Role::SecretReset,
            !integrated(status),
            "There is no application integration to reset yet",
        ),
        update_vrp: refusal(
            Role::UpdateVrp,
            !onboarded,
            "Voice routing can be updated once the tenant is onboarded",
        ),
        show_link: user.level != AdminLevel::Tenant && user.may(Role::SourceList),
        link: refusal(
            Role::Link,
            has_tenant,
            "This subscription has its own MS Teams tenant: unlink it before linking",
        ),
        unlink: refusal(
            Role::Unlink,
            !has_tenant,
            "There is no MS Teams tenant to unlink",
        ),
    }
}

/// Whether an application integration is stored.
pub fn integrated(status: Option<&MsTeamsStatus>) -> bool {
    status.is_some_and(|s| s.ms_graph.ms_application_id.is_some())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api_types::{ApiRule, NodeRef, ProfileRules};

    const APPLICATION: &str = "c035894c-81c3-49aa-8e3e-f245d9b3b846";

    fn user(level: AdminLevel, granted: impl Fn(Role) -> bool) -> CurrentUser {
        let api_rules = Role::ALL
            .iter()
            .map(|&role| ApiRule {
                name: role.as_str().to_owned(),
                allowed: granted(role),
            })
            .collect();
        CurrentUser {
            username: "someone".into(),
            level,
            profile: ProfileRules {
                name: "test".into(),
                api_rules,
            },
            display_name: "Someone".into(),
            draas_instance: "demo".into(),
            node: NodeRef {
                id: uuid::Uuid::nil(),
                name: "Node".into(),
                kind: level,
            },
        }
    }

    fn admin() -> CurrentUser {
        user(AdminLevel::Reseller, |_| true)
    }

    /// A subscription page; `status` is the `GET msteams/status` body, if any.
    fn page(status: Option<serde_json::Value>) -> SubscriptionPage {
        serde_json::from_value(json!({
            "tenant_name": "Acme Corp",
            "subscription": {
                "id": 1, "name": "Voice", "licenseType": "msteams", "directRoutingUsers": 0,
                "msTeams": { "state": "not_onboarded" }
            },
            "status": status,
            "administrator": null,
        }))
        .expect("a subscription page")
    }

    fn status(tenant: &str, application: Option<&str>, administrator: bool) -> serde_json::Value {
        json!({
            "msTenantId": null, "mode": "direct_routing", "status": tenant,
            "powershell": { "msUserName": null, "active": administrator },
            "msGraph": { "msApplicationId": application, "active": application.is_some() },
        })
    }

    #[test]
    fn without_a_tenant_only_preparing_and_linking_are_open() {
        let may = permissions(&admin(), &page(None));
        assert_eq!(may.download_script, None);
        assert_eq!(may.store_application, None);
        assert_eq!(may.store_administrator, None);
        assert_eq!(
            may.start_wizard.as_deref(),
            Some("Store the application integration and the administrator first")
        );
        assert_eq!(
            may.reset_secret.as_deref(),
            Some("There is no application integration to reset yet")
        );
        assert_eq!(
            may.update_vrp.as_deref(),
            Some("Voice routing can be updated once the tenant is onboarded")
        );
        assert!(may.show_link);
        assert_eq!(may.link, None);
        assert_eq!(
            may.unlink.as_deref(),
            Some("There is no MS Teams tenant to unlink")
        );
    }

    #[test]
    fn the_wizard_needs_both_the_integration_and_the_administrator() {
        for (application, administrator) in [(None, true), (Some(APPLICATION), false)] {
            let data = page(Some(status("not_initiated", application, administrator)));
            let may = permissions(&admin(), &data);
            assert!(
                may.start_wizard.is_some(),
                "{application:?}, {administrator}"
            );
        }
        let ready = page(Some(status("not_initiated", Some(APPLICATION), true)));
        let may = permissions(&admin(), &ready);
        assert_eq!(may.start_wizard, None);
        assert_eq!(may.reset_secret, None);
        assert!(may.update_vrp.is_some());
    }

    #[test]
    fn an_onboarded_tenant_is_maintained_and_unlinked_but_not_linked() {
        let onboarded = page(Some(status("onboarded", Some(APPLICATION), true)));
        let may = permissions(&admin(), &onboarded);
        assert_eq!(may.update_vrp, None);
        assert_eq!(may.unlink, None);
        assert_eq!(
            may.link.as_deref(),
            Some("This subscription has its own MS Teams tenant: unlink it before linking")
        );
    }

    #[test]
    fn a_missing_role_is_the_reason_before_the_state() {
        let read_only = user(AdminLevel::Group, |role| role.is_read() || role.is_list());
        let may = permissions(&read_only, &page(None));
        let grants = |role: Role| Some(format!("Your profile does not grant {role}"));
        assert_eq!(may.download_script, grants(Role::DownloadCreateApp));
        assert_eq!(may.store_application, grants(Role::ApplicationsCreate));
        assert_eq!(may.store_administrator, grants(Role::AdministratorUpdate));
        assert_eq!(may.read_wizard, None);
        assert_eq!(may.start_wizard, grants(Role::WizardStart));
        assert_eq!(may.reset_secret, grants(Role::SecretReset));
        assert_eq!(may.update_vrp, grants(Role::UpdateVrp));
        assert_eq!(may.link, grants(Role::Link));
        assert_eq!(may.unlink, grants(Role::Unlink));
    }

    #[test]
    fn tenant_admins_and_profiles_without_sources_see_no_link_section() {
        let tenant_admin = user(AdminLevel::Tenant, |_| true);
        assert!(!permissions(&tenant_admin, &page(None)).show_link);
        let no_sources = user(AdminLevel::Reseller, |role| role != Role::SourceList);
        assert!(!permissions(&no_sources, &page(None)).show_link);
    }
}
