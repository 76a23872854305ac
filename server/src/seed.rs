//! Built-in profiles (always) and the demo data (once per database, in demo mode).

use std::collections::BTreeMap;

use app::api_types::{AdminLevel, LicenseType, SimFault, SkuPart};
use uuid::{Uuid, uuid};

use crate::{
    auth::password,
    crypto::{SecretBox, SecretSlot},
    domain::{
        AppError, roles,
        types::{MsTenantId, Secret},
        voice_routing::{PSTN_USAGE, VOICE_ROUTE, VOICE_ROUTING_POLICY},
    },
    simulator::SimulatorControl,
    store::{
        Db, accounts, directory,
        msteams::{self, TenantState},
        wizard,
    },
};

pub const DEMO_INSTANCE: &str = "demo";
pub const GROUP: Uuid = uuid!("10000000-0000-4000-8000-000000000001");
pub const DISTRIBUTOR: Uuid = uuid!("20000000-0000-4000-8000-000000000001");
pub const RESELLER_ALPHA: Uuid = uuid!("30000000-0000-4000-8000-000000000001");
pub const RESELLER_BETA: Uuid = uuid!("30000000-0000-4000-8000-000000000002");
pub const TENANT_ACME: Uuid = uuid!("40000000-0000-4000-8000-000000000001");
pub const TENANT_GLOBEX: Uuid = uuid!("40000000-0000-4000-8000-000000000002");
pub const TENANT_INITECH: Uuid = uuid!("40000000-0000-4000-8000-000000000003");
pub const TENANT_UMBRELLA: Uuid = uuid!("40000000-0000-4000-8000-000000000004");

/// A demo administrator: username, password, level, node, profile, display name, and
/// its second factor.
pub struct DemoLogin {
    pub username: &'static str,
    pub password: &'static str,
    pub level: AdminLevel,
    pub node: Uuid,
    pub profile: &'static str,
    pub display_name: &'static str,
    pub second_factor: DemoSecondFactor,
}

/// How a demo administrator proves it is itself from a device it has not trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoSecondFactor {
    None,
    /// Codes e-mailed (to the simulated outbox) to this address.
    Email(&'static str),
    /// TOTP with this Base32 shared secret (add it to an authenticator app).
    Totp(&'static str),
}

pub const DEMO_LOGINS: &[DemoLogin] = &[
    login(
        "group.admin",
        "demo-group",
        AdminLevel::Group,
        GROUP,
        "msteams-admin",
        "Grace Group",
    ),
    login(
        "distributor.admin",
        "demo-distributor",
        AdminLevel::Distributor,
        DISTRIBUTOR,
        "msteams-admin",
        "Dario Distributor",
    ),
    login(
        "alpha.admin",
        "demo-alpha",
        AdminLevel::Reseller,
        RESELLER_ALPHA,
        "msteams-admin",
        "Ada Alpha",
    ),
    login(
        "beta.admin",
        "demo-beta",
        AdminLevel::Reseller,
        RESELLER_BETA,
        "msteams-admin",
        "Ben Beta",
    ),
    login(
        "acme.admin",
        "demo-acme",
        AdminLevel::Tenant,
        TENANT_ACME,
        "msteams-tenant-admin",
        "Alice Acme",
    ),
    login(
        "readonly",
        "demo-readonly",
        AdminLevel::Group,
        GROUP,
        "read-only",
        "Rita Readonly",
    ),
    DemoLogin {
        second_factor: DemoSecondFactor::Email("mia@alpha-telecom.example"),
        ..login(
            "alpha.mail",
            "demo-alpha-mail",
            AdminLevel::Reseller,
            RESELLER_ALPHA,
            "msteams-admin",
            "Mia Mail",
        )
    },
    DemoLogin {
        second_factor: DemoSecondFactor::Totp(DEMO_TOTP_SECRET),
        ..login(
            "alpha.totp",
            "demo-alpha-totp",
            AdminLevel::Reseller,
            RESELLER_ALPHA,
            "msteams-admin",
            "Tom Totp",
        )
    },
];

/// The TOTP secret of `alpha.totp` (Base32): the demo's, so it is public.
pub const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

const fn login(
    username: &'static str,
    password: &'static str,
    level: AdminLevel,
    node: Uuid,
    profile: &'static str,
    display_name: &'static str,
) -> DemoLogin {
    DemoLogin {
        username,
        password,
        level,
        node,
        profile,
        display_name,
        second_factor: DemoSecondFactor::None,
    }
}

/// An onboarded MS Teams tenant of the demo: subscription, MS tenant id, domain.
const ONBOARDED: &[(i64, Uuid, &str)] = &[
    (
        1,
        uuid!("27b418d0-b197-483d-a0b8-da90407a92c4"),
        "acme.draas.demo",
    ),
    (
        4,
        uuid!("5d2c7a1e-3f4b-4c8d-9e6f-0a1b2c3d4e5f"),
        "globex-lab.draas.demo",
    ),
    (
        5,
        uuid!("8e9f0a1b-2c3d-4e5f-8a7b-6c5d4e3f2a1b"),
        "initech.draas.demo",
    ),
];

pub async fn ensure_profiles(db: &Db) -> Result<(), AppError> {
    for (name, description, role_list) in roles::builtin_profiles() {
        accounts::upsert_profile(db, name, description, &role_list).await?;
    }
    Ok(())
}

/// Seeds the demo hierarchy once: a database that already has the `demo` instance is
/// left as it is, so a restart never brings back what a user changed or deleted.
pub async fn seed_demo(db: &Db, secrets: &SecretBox) -> Result<(), AppError> {
    if directory::find_instance(db, DEMO_INSTANCE).await?.is_none() {
        seed_hierarchy(db, secrets).await?;
    }
    for admin in DEMO_LOGINS {
        if !accounts::admin_exists(db, admin.username).await? {
            let password_hash = password::hash(admin.password);
            let created = accounts::insert_admin_if_missing(
                db,
                accounts::NewAdmin {
                    username: admin.username,
                    display_name: admin.display_name,
                    level: admin.level,
                    node_id: admin.node,
                    profile: admin.profile,
                    password_hash,
                },
            )
            .await?;
            if created {
                seed_second_factor(db, secrets, admin).await?;
            }
        }
    }
    Ok(())
}

async fn seed_second_factor(
    db: &Db,
    secrets: &SecretBox,
    admin: &DemoLogin,
) -> Result<(), AppError> {
    match admin.second_factor {
        DemoSecondFactor::None => Ok(()),
        DemoSecondFactor::Email(address) => {
            Ok(accounts::set_two_factor(db, admin.username, "email", Some(address), None).await?)
        }
        DemoSecondFactor::Totp(secret) => {
            let user = accounts::find_credentials(db, admin.username)
                .await?
                .ok_or_else(|| AppError::Internal("a demo user vanished".into()))?
                .id;
            let sealed = secrets.seal(
                SecretSlot::TotpSecret { user },
                &Secret::parse("secret", secret.to_owned())?,
            )?;
            Ok(accounts::set_two_factor(db, admin.username, "totp", None, Some(&sealed)).await?)
        }
    }
}

async fn seed_hierarchy(db: &Db, secrets: &SecretBox) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    directory::insert_instance(&mut tx, 1, DEMO_INSTANCE, "Demo service provider").await?;
    directory::insert_node(
        &mut tx,
        GROUP,
        1,
        "group",
        "Netaxis Group",
        "NETAXIS-GRP",
        None,
    )
    .await?;
    directory::insert_group_settings(&mut tx, GROUP, "Fusion DRaaS Netaxis Group", 12).await?;
    directory::insert_node(
        &mut tx,
        DISTRIBUTOR,
        1,
        "distributor",
        "Benelux Distribution",
        "BENELUX-DIST",
        Some(GROUP),
    )
    .await?;
    directory::insert_node(
        &mut tx,
        RESELLER_ALPHA,
        1,
        "reseller",
        "Alpha Telecom",
        "ALPHA-RES",
        Some(DISTRIBUTOR),
    )
    .await?;
    directory::insert_node(
        &mut tx,
        RESELLER_BETA,
        1,
        "reseller",
        "Beta Voice",
        "BETA-RES",
        Some(DISTRIBUTOR),
    )
    .await?;
    for (id, name, billing_id, reseller) in [
        (TENANT_ACME, "Acme Corp", "ACME-001", RESELLER_ALPHA),
        (TENANT_GLOBEX, "Globex", "GLOBEX-001", RESELLER_ALPHA),
        (TENANT_INITECH, "Initech", "INITECH-001", RESELLER_BETA),
        (TENANT_UMBRELLA, "Umbrella", "UMBRELLA-001", RESELLER_BETA),
    ] {
        directory::insert_node(&mut tx, id, 1, "tenant", name, billing_id, Some(reseller)).await?;
    }
    for (id, tenant, name, license) in [
        (1, TENANT_ACME, "Acme Teams", LicenseType::Msteams),
        (2, TENANT_ACME, "Acme SIP Trunk", LicenseType::SipTrunks),
        (3, TENANT_GLOBEX, "Globex Teams", LicenseType::Msteams),
        (4, TENANT_GLOBEX, "Globex Teams Lab", LicenseType::Msteams),
        (5, TENANT_INITECH, "Initech Teams", LicenseType::Msteams),
        (6, TENANT_INITECH, "Initech Teams EU", LicenseType::Msteams),
        (7, TENANT_UMBRELLA, "Umbrella Teams", LicenseType::Msteams),
    ] {
        directory::insert_subscription(&mut tx, id, tenant, name, license).await?;
    }
    for (subscription, username, direct_routing) in [
        (1, "john.doe@acme.example", true),
        (1, "jane.roe@acme.example", true),
        (1, "reception@acme.example", false),
        (4, "lab.user@globex.example", false),
        (5, "peter.gibbons@initech.example", true),
    ] {
        directory::insert_fusion_user(&mut tx, subscription, username, direct_routing).await?;
    }
    for (index, (subscription, ms_tenant_id, domain)) in ONBOARDED.iter().enumerate() {
        let tenant = msteams::ensure_owned_tenant(&mut tx, *subscription).await?;
        msteams::set_ms_tenant_id(&mut tx, tenant.id, *ms_tenant_id).await?;
        msteams::claim_ms_tenant_id(&mut tx, tenant.id).await?;
        msteams::set_state(
            &mut tx,
            tenant.id,
            TenantState::Onboarded,
            Some(domain),
            None,
        )
        .await?;
        wizard::create_executed_steps(&mut tx, tenant.id).await?;
        let secret = Secret::parse("secret", format!("demo~{index}Q8xSeededSecretNotReal"))?;
        let application_id =
            Uuid::from_u128(0xc035894c_81c3_49aa_8e3e_f245d9b30000 + index as u128);
        let sealed = secrets.seal(
            SecretSlot::ApplicationSecret {
                subscription: *subscription,
            },
            &secret,
        )?;
        msteams::upsert_application(&mut tx, tenant.id, application_id, &sealed).await?;
        let password = Secret::parse("password", format!("demo-admin-password-{index}"))?;
        let admin = format!(
            "admin@{}",
            domain.replace(".draas.demo", ".onmicrosoft.com")
        );
        let sealed = secrets.seal(
            SecretSlot::AdministratorPassword {
                subscription: *subscription,
            },
            &password,
        )?;
        msteams::upsert_administrator(&mut tx, tenant.id, &admin, &sealed).await?;
    }
    let initech = msteams::owned_tenant(&mut tx, 5)
        .await?
        .ok_or_else(|| AppError::Internal("seed".into()))?;
    msteams::insert_link(&mut tx, 6, initech.id).await?;
    tx.commit().await?;
    Ok(())
}

/// A simulated MS tenant of the demo: id, name, faults, and the reseller it was made for
/// (only that reseller's tree, and group admins, see it).
pub struct DemoSimTenant {
    pub id: Uuid,
    pub name: &'static str,
    pub faults: &'static [SimFault],
    pub owner: Uuid,
}

const fn sim(
    id: Uuid,
    name: &'static str,
    faults: &'static [SimFault],
    owner: Uuid,
) -> DemoSimTenant {
    DemoSimTenant {
        id,
        name,
        faults,
        owner,
    }
}

/// Simulated MS tenants of the demo: for each reseller, a healthy one and one per fault.
pub const SIMULATED_TENANTS: &[DemoSimTenant] = &[
    sim(
        uuid!("a1000000-0000-4000-8000-000000000001"),
        "Contoso",
        &[],
        RESELLER_ALPHA,
    ),
    sim(
        uuid!("a1000000-0000-4000-8000-000000000002"),
        "Fabrikam",
        &[SimFault::MfaEnabled],
        RESELLER_ALPHA,
    ),
    sim(
        uuid!("a1000000-0000-4000-8000-000000000003"),
        "Northwind",
        &[SimFault::NoFreeLicense],
        RESELLER_ALPHA,
    ),
    sim(
        uuid!("a1000000-0000-4000-8000-000000000004"),
        "Tailspin",
        &[SimFault::TxtNeverPropagates],
        RESELLER_ALPHA,
    ),
    sim(
        uuid!("a1000000-0000-4000-8000-000000000005"),
        "Woodgrove",
        &[SimFault::SecretExpired],
        RESELLER_ALPHA,
    ),
    sim(
        uuid!("a1000000-0000-4000-8000-000000000006"),
        "Adatum",
        &[SimFault::SecretWrong],
        RESELLER_ALPHA,
    ),
    sim(
        uuid!("a1000000-0000-4000-8000-000000000007"),
        "Litware",
        &[SimFault::GraphThrottling],
        RESELLER_ALPHA,
    ),
    sim(
        uuid!("a1000000-0000-4000-8000-000000000008"),
        "Proseware",
        &[SimFault::ReplicationLag],
        RESELLER_ALPHA,
    ),
    sim(
        uuid!("a2000000-0000-4000-8000-000000000001"),
        "Fourth Coffee",
        &[],
        RESELLER_BETA,
    ),
    sim(
        uuid!("a2000000-0000-4000-8000-000000000002"),
        "Wingtip Toys",
        &[SimFault::MfaEnabled],
        RESELLER_BETA,
    ),
    sim(
        uuid!("a2000000-0000-4000-8000-000000000003"),
        "Coho Winery",
        &[SimFault::NoFreeLicense],
        RESELLER_BETA,
    ),
    sim(
        uuid!("a2000000-0000-4000-8000-000000000004"),
        "Lucerne Publishing",
        &[SimFault::TxtNeverPropagates],
        RESELLER_BETA,
    ),
    sim(
        uuid!("a2000000-0000-4000-8000-000000000005"),
        "Margie's Travel",
        &[SimFault::SecretExpired],
        RESELLER_BETA,
    ),
    sim(
        uuid!("a2000000-0000-4000-8000-000000000006"),
        "Trey Research",
        &[SimFault::SecretWrong],
        RESELLER_BETA,
    ),
    sim(
        uuid!("a2000000-0000-4000-8000-000000000007"),
        "Alpine Ski House",
        &[SimFault::GraphThrottling],
        RESELLER_BETA,
    ),
    sim(
        uuid!("a2000000-0000-4000-8000-000000000008"),
        "Blue Yonder Airlines",
        &[SimFault::ReplicationLag],
        RESELLER_BETA,
    ),
];

/// Seeds the simulated tenants, and the MS tenants of the onboarded demo subscriptions
/// with the voice routing objects their onboarding made. Existing ones are left as they
/// are (but get their demo owner if they have none).
pub async fn seed_simulator(simulator: &SimulatorControl) -> Result<(), AppError> {
    let licenses = BTreeMap::from([(SkuPart::E1, 2), (SkuPart::E3, 2), (SkuPart::E5, 2)]);
    for tenant in SIMULATED_TENANTS {
        let created = simulator
            .ensure_tenant(
                MsTenantId::from(tenant.id),
                tenant.name,
                &licenses,
                tenant.faults,
                Some(tenant.owner),
            )
            .await?;
        if !created {
            simulator
                .adopt(MsTenantId::from(tenant.id), tenant.owner)
                .await?;
        }
    }
    for (_, id, domain) in ONBOARDED {
        let name = domain.split('.').next().unwrap_or("tenant");
        if simulator
            .ensure_tenant(MsTenantId::from(*id), name, &licenses, &[], None)
            .await?
        {
            simulator
                .seed_voice_objects(
                    MsTenantId::from(*id),
                    &[
                        ("pstn_usage", PSTN_USAGE),
                        ("voice_route", VOICE_ROUTE),
                        ("voice_routing_policy", VOICE_ROUTING_POLICY),
                    ],
                )
                .await?;
        }
    }
    Ok(())
}

/// The lines printed at start in demo mode.
pub fn demo_banner(address: &str) -> String {
    let mut text = format!(
        "\nFusion Teams Onboarding (demo data) at http://{address}/\nAPI docs: http://{address}/api/v01/docs/\nDemo logins (username / password, level, profile):\n"
    );
    for admin in DEMO_LOGINS {
        let second_factor = match admin.second_factor {
            DemoSecondFactor::None => String::new(),
            DemoSecondFactor::Email(_) => " + e-mailed code (simulator console, Outbox)".to_owned(),
            DemoSecondFactor::Totp(secret) => format!(" + TOTP, secret {secret}"),
        };
        text.push_str(&format!(
            "  {:<18} / {:<17} {:<12} {}{second_factor}\n",
            admin.username,
            admin.password,
            admin.level.as_str(),
            admin.profile
        ));
    }
    text
}
