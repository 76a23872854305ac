//! Writes a checked scenario into the database in one transaction: the Fusion side, the
//! administrators (their passwords hashed before the transaction opens), then the
//! simulator; and records it as the loaded scenario, for a reset to go back to.

use app::api_types::{SkuPart, VoiceObjectKind};
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

use super::model::{AdminSpec, OnboardedSpec, Scenario, SecondFactorSpec, default_licenses};
use crate::{
    auth::password,
    crypto::{SecretBox, SecretSlot},
    domain::{
        AppError,
        types::{AdminUpn, Secret},
        voice_routing::{PSTN_USAGE, VOICE_ROUTE, VOICE_ROUTING_POLICY},
    },
    simulator::control::{add_tenant, add_voice_objects},
    store::{
        Db, accounts, directory, mock,
        msteams::{self, TenantState},
        wizard,
    },
};

/// Whether the database holds a DRaaS instance or an administrator: a scenario only
/// loads at start into a database that holds neither.
pub async fn database_is_empty(db: &Db) -> Result<bool, AppError> {
    Ok(directory::instance_count(db).await? == 0 && accounts::admin_count(db).await? == 0)
}

/// Loads `scenario` (checked by `parse`; `text` is what it was parsed from) unless the
/// database holds data; returns whether it loaded.
pub async fn load_into_empty(
    db: &Db,
    secrets: &SecretBox,
    scenario: &Scenario,
    text: &str,
) -> Result<bool, AppError> {
    let hashes = password_hashes(scenario).await?;
    let mut tx = db.begin_write().await?;
    // Checked again inside the transaction: two starts on one file never both load.
    let holds_data: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM draas_instances) + (SELECT COUNT(*) FROM admin_users)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if holds_data > 0 {
        return Ok(false);
    }
    write(&mut tx, secrets, scenario, &hashes, text).await?;
    tx.commit().await?;
    Ok(true)
}

/// Replaces everything a scenario fills with `scenario`: sessions end, jobs and their
/// transactions go, the simulator starts again. Profiles and the audit log stay.
pub async fn replace(
    db: &Db,
    secrets: &SecretBox,
    scenario: &Scenario,
    text: &str,
) -> Result<(), AppError> {
    let hashes = password_hashes(scenario).await?;
    let mut tx = db.begin_write().await?;
    mock::empty(&mut tx).await?;
    write(&mut tx, secrets, scenario, &hashes, text).await?;
    tx.commit().await?;
    Ok(())
}

/// Each administrator's password hash (a random secret's for one without a password:
/// it cannot sign in until given one), off the async threads: hashing is slow on purpose.
async fn password_hashes(scenario: &Scenario) -> Result<Vec<String>, AppError> {
    let passwords: Vec<String> = scenario
        .admins
        .iter()
        .map(|admin| {
            admin
                .password
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
        })
        .collect();
    tokio::task::spawn_blocking(move || passwords.iter().map(|p| password::hash(p)).collect())
        .await
        .map_err(|error| AppError::Internal(format!("hashing passwords: {error}")))
}

async fn write(
    tx: &mut SqliteConnection,
    secrets: &SecretBox,
    scenario: &Scenario,
    hashes: &[String],
    text: &str,
) -> Result<(), AppError> {
    fusion_side(tx, secrets, scenario).await?;
    for (admin, hash) in scenario.admins.iter().zip(hashes) {
        add_admin(tx, secrets, admin, hash.clone()).await?;
    }
    simulated_side(tx, scenario).await?;
    let sealed = secrets.seal_text(SecretSlot::Scenario, text)?;
    mock::save_scenario(tx, &sealed).await?;
    Ok(())
}

async fn fusion_side(
    tx: &mut SqliteConnection,
    secrets: &SecretBox,
    scenario: &Scenario,
) -> Result<(), AppError> {
    let mut instance_ids = BTreeMap::new();
    for (index, instance) in scenario.instances.iter().enumerate() {
        let id = index as i64 + 1;
        directory::insert_instance(tx, id, &instance.slug, &instance.name).await?;
        instance_ids.insert(instance.slug.as_str(), id);
    }
    // Every node below a group lies in its group's instance.
    let mut node_instances = BTreeMap::new();
    for group in &scenario.groups {
        let instance = instance_ids[group.instance.as_str()];
        node_instances.insert(group.uuid, instance);
        let billing = &group.billing_id;
        directory::insert_node(
            tx,
            group.uuid,
            instance,
            "group",
            &group.name,
            billing,
            None,
        )
        .await?;
        let display_name = group
            .app_display_name
            .clone()
            .unwrap_or_else(|| format!("Fusion DRaaS {}", group.name));
        let lifetime = i64::from(group.secret_lifetime_months);
        directory::insert_group_settings(tx, group.uuid, &display_name, lifetime).await?;
    }
    for (kind, nodes) in [
        ("distributor", &scenario.distributors),
        ("reseller", &scenario.resellers),
        ("tenant", &scenario.tenants),
    ] {
        for node in nodes {
            let instance = node_instances[&node.parent];
            node_instances.insert(node.uuid, instance);
            let (name, billing) = (&node.name, &node.billing_id);
            directory::insert_node(
                tx,
                node.uuid,
                instance,
                kind,
                name,
                billing,
                Some(node.parent),
            )
            .await?;
        }
    }
    for subscription in &scenario.subscriptions {
        let (id, name) = (subscription.id, &subscription.name);
        directory::insert_subscription(
            tx,
            id,
            subscription.tenant,
            name,
            subscription.license_type,
        )
        .await?;
        for user in &subscription.users {
            directory::insert_fusion_user(tx, id, &user.username, user.direct_routing).await?;
        }
    }
    for onboarded in &scenario.onboarded {
        onboard(tx, secrets, onboarded).await?;
    }
    for link in &scenario.links {
        let target = msteams::owned_tenant(tx, link.to)
            .await?
            .ok_or_else(|| AppError::Internal("a link to a tenant that was not made".into()))?;
        msteams::insert_link(tx, link.subscription, target.id).await?;
    }
    Ok(())
}

/// An MS Teams tenant as a finished wizard leaves it.
async fn onboard(
    tx: &mut sqlx::SqliteConnection,
    secrets: &SecretBox,
    onboarded: &OnboardedSpec,
) -> Result<(), AppError> {
    let subscription = onboarded.subscription;
    let tenant = msteams::ensure_owned_tenant(tx, subscription).await?;
    msteams::set_ms_tenant_id(tx, tenant.id, onboarded.ms_tenant_id).await?;
    msteams::claim_ms_tenant_id(tx, tenant.id).await?;
    let domain = Some(onboarded.domain.as_str());
    msteams::set_state(tx, tenant.id, TenantState::Onboarded, domain, None).await?;
    wizard::create_executed_steps(tx, tenant.id).await?;
    let secret = Secret::parse("secret", onboarded.secret.clone())?;
    let sealed = secrets.seal(SecretSlot::ApplicationSecret { subscription }, &secret)?;
    msteams::upsert_application(tx, tenant.id, onboarded.application_id, &sealed).await?;
    let administrator = AdminUpn::parse(&onboarded.administrator)?;
    let password = Secret::parse(
        "administratorPassword",
        onboarded.administrator_password.clone(),
    )?;
    let sealed = secrets.seal(
        SecretSlot::AdministratorPassword { subscription },
        &password,
    )?;
    msteams::upsert_administrator(tx, tenant.id, administrator.as_str(), &sealed).await?;
    Ok(())
}

/// Inserts an administrator with this password hash (no second factor); its id, or
/// none when the username is taken. `server admin add` makes its accounts so too.
pub async fn insert_admin(
    conn: &mut SqliteConnection,
    admin: &AdminSpec,
    password_hash: String,
) -> Result<Option<i64>, AppError> {
    let new = accounts::NewAdmin {
        username: &admin.username,
        display_name: &admin.display_name,
        level: admin.level,
        node_id: admin.node,
        profile: &admin.profile,
        password_hash,
    };
    Ok(accounts::insert_admin_if_missing(conn, new).await?)
}

/// Adds an administrator with this password hash, and its second factor.
pub async fn add_admin(
    tx: &mut SqliteConnection,
    secrets: &SecretBox,
    admin: &AdminSpec,
    password_hash: String,
) -> Result<(), AppError> {
    let Some(user) = insert_admin(tx, admin, password_hash).await? else {
        return Err(AppError::invalid(
            "admin_exists",
            format!("An administrator '{}' exists already", admin.username),
        ));
    };
    let username = &admin.username;
    match &admin.second_factor {
        None => {}
        Some(SecondFactorSpec::Email(address)) => {
            accounts::set_two_factor(tx, username, "email", Some(address), None).await?;
        }
        Some(SecondFactorSpec::Totp(secret)) => {
            let secret = Secret::parse("secret", secret.clone())?;
            let sealed = secrets.seal(SecretSlot::TotpSecret { user }, &secret)?;
            accounts::set_two_factor(tx, username, "totp", None, Some(&sealed)).await?;
        }
    }
    Ok(())
}

/// The simulated tenants, then the MS tenants of the onboarded subscriptions with the
/// voice routing objects their onboarding made.
async fn simulated_side(tx: &mut SqliteConnection, scenario: &Scenario) -> Result<(), AppError> {
    for tenant in &scenario.simulator.tenants {
        let (id, name) = (tenant.id.to_string(), &tenant.name);
        add_tenant(
            tx,
            &id,
            name,
            &tenant.licenses,
            &tenant.faults,
            tenant.owner,
        )
        .await?;
    }
    let licenses: BTreeMap<SkuPart, u32> = default_licenses();
    let objects = [
        (VoiceObjectKind::PstnUsage.as_str(), PSTN_USAGE),
        (VoiceObjectKind::VoiceRoute.as_str(), VOICE_ROUTE),
        (
            VoiceObjectKind::VoiceRoutingPolicy.as_str(),
            VOICE_ROUTING_POLICY,
        ),
    ];
    for onboarded in &scenario.onboarded {
        let id = onboarded.ms_tenant_id.to_string();
        let name = onboarded.domain.split('.').next().unwrap_or("tenant");
        if add_tenant(tx, &id, name, &licenses, &[], None).await? {
            add_voice_objects(tx, &id, &objects).await?;
        }
    }
    Ok(())
}
