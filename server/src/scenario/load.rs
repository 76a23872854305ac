//! Writes a checked scenario into an empty database: the Fusion side in one
//! transaction, then the administrators (hashing their passwords), then the simulator.

use app::api_types::SkuPart;
use std::collections::BTreeMap;

use super::model::{AdminSpec, OnboardedSpec, Scenario, SecondFactorSpec, default_licenses};
use crate::{
    auth::password,
    crypto::{SecretBox, SecretSlot},
    domain::{
        AppError,
        types::{AdminUpn, MsTenantId, Secret},
        voice_routing::{PSTN_USAGE, VOICE_ROUTE, VOICE_ROUTING_POLICY},
    },
    simulator::SimulatorControl,
    store::{
        Db, accounts, directory,
        msteams::{self, TenantState},
        wizard,
    },
};

/// Whether the database holds a DRaaS instance or an administrator: a scenario only
/// loads into a database that holds neither.
pub async fn database_is_empty(db: &Db) -> Result<bool, AppError> {
    Ok(directory::instance_count(db).await? == 0 && accounts::admin_count(db).await? == 0)
}

/// Loads `scenario` (checked by `parse`) into an empty database.
pub async fn load(
    db: &Db,
    secrets: &SecretBox,
    simulator: &SimulatorControl,
    scenario: &Scenario,
) -> Result<(), AppError> {
    fusion_side(db, secrets, scenario).await?;
    for admin in &scenario.admins {
        add_admin(db, secrets, admin).await?;
    }
    simulated_side(simulator, scenario).await
}

async fn fusion_side(db: &Db, secrets: &SecretBox, scenario: &Scenario) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let mut instance_ids = BTreeMap::new();
    for (index, instance) in scenario.instances.iter().enumerate() {
        let id = index as i64 + 1;
        directory::insert_instance(&mut tx, id, &instance.slug, &instance.name).await?;
        instance_ids.insert(instance.slug.as_str(), id);
    }
    // Every node below a group lies in its group's instance.
    let mut node_instances = BTreeMap::new();
    for group in &scenario.groups {
        let instance = instance_ids[group.instance.as_str()];
        node_instances.insert(group.uuid, instance);
        let billing = &group.billing_id;
        directory::insert_node(
            &mut tx,
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
        directory::insert_group_settings(&mut tx, group.uuid, &display_name, lifetime).await?;
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
                &mut tx,
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
            &mut tx,
            id,
            subscription.tenant,
            name,
            subscription.license_type,
        )
        .await?;
        for user in &subscription.users {
            directory::insert_fusion_user(&mut tx, id, &user.username, user.direct_routing).await?;
        }
    }
    for onboarded in &scenario.onboarded {
        onboard(&mut tx, secrets, onboarded).await?;
    }
    for link in &scenario.links {
        let target = msteams::owned_tenant(&mut tx, link.to)
            .await?
            .ok_or_else(|| AppError::Internal("a link to a tenant that was not made".into()))?;
        msteams::insert_link(&mut tx, link.subscription, target.id).await?;
    }
    tx.commit().await?;
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

/// Adds an administrator (without a password it cannot sign in: the hash of a random
/// secret nobody knows stands in).
pub async fn add_admin(db: &Db, secrets: &SecretBox, admin: &AdminSpec) -> Result<(), AppError> {
    let password_hash = match &admin.password {
        Some(password) => password::hash(password),
        None => password::hash(&uuid::Uuid::new_v4().to_string()),
    };
    let created = accounts::insert_admin_if_missing(
        db,
        accounts::NewAdmin {
            username: &admin.username,
            display_name: &admin.display_name,
            level: admin.level,
            node_id: admin.node,
            profile: &admin.profile,
            password_hash,
        },
    )
    .await?;
    if !created {
        return Err(AppError::invalid(
            "admin_exists",
            format!("An administrator '{}' exists already", admin.username),
        ));
    }
    match &admin.second_factor {
        None => Ok(()),
        Some(SecondFactorSpec::Email(address)) => {
            let username = &admin.username;
            Ok(accounts::set_two_factor(db, username, "email", Some(address), None).await?)
        }
        Some(SecondFactorSpec::Totp(secret)) => {
            let user = accounts::find_credentials(db, &admin.username)
                .await?
                .ok_or_else(|| AppError::Internal("an administrator vanished".into()))?
                .id;
            let secret = Secret::parse("secret", secret.clone())?;
            let sealed = secrets.seal(SecretSlot::TotpSecret { user }, &secret)?;
            let username = &admin.username;
            Ok(accounts::set_two_factor(db, username, "totp", None, Some(&sealed)).await?)
        }
    }
}

/// The simulated tenants, then the MS tenants of the onboarded subscriptions with the
/// voice routing objects their onboarding made.
async fn simulated_side(simulator: &SimulatorControl, scenario: &Scenario) -> Result<(), AppError> {
    for tenant in &scenario.simulator.tenants {
        let id = MsTenantId::from(tenant.id);
        simulator
            .ensure_tenant(
                id,
                &tenant.name,
                &tenant.licenses,
                &tenant.faults,
                tenant.owner,
            )
            .await?;
    }
    let licenses: BTreeMap<SkuPart, u32> = default_licenses();
    for onboarded in &scenario.onboarded {
        let id = MsTenantId::from(onboarded.ms_tenant_id);
        let name = onboarded.domain.split('.').next().unwrap_or("tenant");
        if simulator
            .ensure_tenant(id, name, &licenses, &[], None)
            .await?
        {
            let objects = [
                ("pstn_usage", PSTN_USAGE),
                ("voice_route", VOICE_ROUTE),
                ("voice_routing_policy", VOICE_ROUTING_POLICY),
            ];
            simulator.seed_voice_objects(id, &objects).await?;
        }
    }
    Ok(())
}
