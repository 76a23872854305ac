//! The MS Teams operations on a subscription: integration credentials, the create_app
//! script, status, sources, link and unlink. Each checks the role (403), then the tree
//! of authority (404), then its own rules (400), and writes in one transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use app::api_types::{
    ApplicationRequest, DomainStatus, GraphIntegration, LinkSource, MsTeamsAdmin,
    MsTeamsAdminRemoval, MsTeamsAdminRequest, MsTeamsMode, MsTeamsStatus, MsTeamsTenantStatus,
    PowershellIntegration, Role, VoiceRoutingStatus,
};
use sqlx::SqliteConnection;

use super::{
    AppError, Caller, create_app,
    directory::Directory,
    types::{AdminUpn, ApplicationId, MsTenantId, Secret, SubscriptionId, SubscriptionPath},
    voice_routing,
};
use crate::{
    crypto::{SecretBox, SecretSlot},
    microsoft::{AdminLogin, MicrosoftError, TeamsVoice},
    store::{
        Db,
        directory::{self as directory_store, SubscriptionRecord},
        msteams::{self, AdministratorRow, ApplicationRow, MsTeamsTenantRow, TenantState},
        wizard as wizard_store,
    },
};

/// `POST …/msteams/applications`, parsed.
#[derive(Debug)]
pub struct ApplicationInput {
    pub ms_tenant_id: Option<MsTenantId>,
    pub application_id: ApplicationId,
    pub secret: Secret,
}

impl ApplicationInput {
    /// The body of the REST call and of the UI's form, parsed once.
    pub fn parse(body: ApplicationRequest) -> Result<Self, AppError> {
        Ok(ApplicationInput {
            ms_tenant_id: body
                .ms_teams_tenant_id
                .as_deref()
                .map(MsTenantId::parse)
                .transpose()?,
            application_id: ApplicationId::parse(&body.application_id)?,
            secret: Secret::parse("secret", body.secret)?,
        })
    }
}

/// `POST …/msteams/admins`, parsed.
#[derive(Debug)]
pub enum AdministratorChange {
    /// `{msUsername, msPassword}`: store the account, or replace the stored one.
    Account {
        username: AdminUpn,
        password: Secret,
    },
    /// `{msPassword}` alone: change the stored account's password.
    Password(Secret),
}

impl AdministratorChange {
    /// The body of the REST call and of the UI's form, parsed once.
    pub fn parse(body: MsTeamsAdminRequest) -> Result<Self, AppError> {
        let username = body
            .ms_username
            .as_deref()
            .map(AdminUpn::parse)
            .transpose()?;
        let password = Secret::parse("msPassword", body.ms_password)?;
        Ok(match username {
            Some(username) => AdministratorChange::Account { username, password },
            None => AdministratorChange::Password(password),
        })
    }
}

/// `DELETE …/msteams/admins`, parsed: the account to remove, as `GET` named it.
#[derive(Debug)]
pub struct AdministratorRemoval {
    pub id: i64,
    pub username: AdminUpn,
}

impl AdministratorRemoval {
    pub fn parse(body: MsTeamsAdminRemoval) -> Result<Self, AppError> {
        Ok(AdministratorRemoval {
            id: body.id,
            username: AdminUpn::parse(&body.ms_username)?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Onboarding {
    db: Db,
    directory: Directory,
    secrets: SecretBox,
    teams: Arc<dyn TeamsVoice>,
}

impl Onboarding {
    /// The subscription a path names, once the caller holds `role` and the subscription
    /// lies in its tree, with the MS Teams tenant it uses (its own or the linked one).
    /// Checked before the caller takes a connection of its own: a refused call holds none.
    async fn reach(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
        role: Role,
    ) -> Result<(SubscriptionRecord, Option<MsTeamsTenantRow>), AppError> {
        caller.require(role)?;
        let subscription = self.directory.subscription(caller, path).await?;
        let mut conn = self.db.read.acquire().await?;
        let tenant = msteams::effective_tenant(&mut conn, subscription.id).await?;
        Ok((subscription, tenant))
    }

    pub fn new(
        db: Db,
        directory: Directory,
        secrets: SecretBox,
        teams: Arc<dyn TeamsVoice>,
    ) -> Self {
        Onboarding {
            db,
            directory,
            secrets,
            teams,
        }
    }

    /// Re-applies the voice routing objects in the MS Teams tenant, synchronously.
    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn update_vrp(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<VoiceRoutingStatus, AppError> {
        let (subscription, tenant) = self.reach(caller, path, Role::UpdateVrp).await?;
        let mut conn = self.db.read.acquire().await?;
        let tenant = tenant
            .filter(|tenant| tenant.status == TenantState::Onboarded)
            .ok_or_else(|| {
                AppError::invalid(
                    "not_onboarded",
                    format!(
                        "Subscription {} has no onboarded MS Teams tenant",
                        subscription.id
                    ),
                )
            })?;
        let ms_tenant_id = tenant
            .ms_tenant_id
            .as_deref()
            .and_then(|id| MsTenantId::parse(id).ok())
            .ok_or_else(|| AppError::Internal("onboarded tenant without an MS tenant id".into()))?;
        let (username, sealed) = msteams::administrator_credentials(&mut conn, tenant.id)
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "no_administrator",
                    "No MS Teams administrator account is stored; store one first (POST msteams/admins)",
                )
            })?;
        drop(conn);
        let login = AdminLogin {
            ms_tenant_id: ms_tenant_id.uuid(),
            username,
            password: self.secrets.open(
                SecretSlot::AdministratorPassword {
                    subscription: tenant.owner_subscription_id,
                },
                &sealed,
            )?,
        };
        voice_routing::apply(self.teams.as_ref(), &login)
            .await
            .map_err(refusal)
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn set_application(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
        input: ApplicationInput,
    ) -> Result<(), AppError> {
        caller.require(Role::ApplicationsCreate)?;
        let subscription = self.directory.msteams_subscription(caller, path).await?;
        let mut tx = self.db.begin_write().await?;
        refuse_if_linked(&mut tx, &subscription).await?;
        let integrated = integrated_tenant(&mut tx, subscription.id).await?;
        let ms_tenant_id = tenant_to_integrate(integrated.as_ref(), input.ms_tenant_id)?;
        refuse_if_claimed_elsewhere(&mut tx, &ms_tenant_id, subscription.id).await?;
        let tenant = msteams::ensure_owned_tenant(&mut tx, subscription.id).await?;
        let sealed = self.secrets.seal(
            SecretSlot::ApplicationSecret {
                subscription: subscription.id,
            },
            &input.secret,
        )?;
        msteams::set_ms_tenant_id(&mut tx, tenant.id, ms_tenant_id.uuid()).await?;
        msteams::upsert_application(&mut tx, tenant.id, input.application_id.uuid(), &sealed)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `GET …/msteams/admins`: the administrator account of the MS Teams tenant the
    /// subscription uses (its own, or the one it is linked to). Its `id` is that tenant's
    /// row id: a tenant holds one account.
    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn administrator(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<MsTeamsAdmin, AppError> {
        let (_, tenant) = self.reach(caller, path, Role::AdministratorRead).await?;
        let Some(tenant) = tenant else {
            return Ok(MsTeamsAdmin {
                id: None,
                ms_username: None,
            });
        };
        let mut conn = self.db.read.acquire().await?;
        let stored = msteams::administrator(&mut conn, tenant.id).await?;
        Ok(MsTeamsAdmin {
            id: stored.as_ref().map(|_| tenant.id),
            ms_username: stored.map(|administrator| administrator.username),
        })
    }

    /// `POST …/msteams/admins`: stores or replaces the account, or changes the stored
    /// account's password (400 when none is stored). Refused while the wizard runs, as
    /// removing the account is: the running steps sign in with it.
    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn store_administrator(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
        change: AdministratorChange,
    ) -> Result<(), AppError> {
        caller.require(Role::AdministratorUpdate)?;
        let subscription = self.directory.msteams_subscription(caller, path).await?;
        let mut tx = self.db.begin_write().await?;
        refuse_if_linked(&mut tx, &subscription).await?;
        if msteams::owned_tenant(&mut tx, subscription.id)
            .await?
            .is_some_and(|tenant| tenant.status == TenantState::Onboarding)
        {
            return Err(AppError::invalid(
                "wizard_running",
                "The onboarding wizard is running for this subscription and needs the administrator; wait for it to end",
            ));
        }
        let slot = SecretSlot::AdministratorPassword {
            subscription: subscription.id,
        };
        match change {
            AdministratorChange::Account { username, password } => {
                let tenant = msteams::ensure_owned_tenant(&mut tx, subscription.id).await?;
                let sealed = self.secrets.seal(slot, &password)?;
                msteams::upsert_administrator(&mut tx, tenant.id, username.as_str(), &sealed)
                    .await?;
            }
            AdministratorChange::Password(password) => {
                let sealed = self.secrets.seal(slot, &password)?;
                let changed = match msteams::owned_tenant(&mut tx, subscription.id).await? {
                    Some(tenant) => {
                        msteams::set_administrator_password(&mut tx, tenant.id, &sealed).await?
                    }
                    None => false,
                };
                if !changed {
                    return Err(no_administrator_to(
                        subscription.id,
                        "change the password of; send msUsername with msPassword to store one",
                    ));
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// `DELETE …/msteams/admins`: removes the stored account, which the body must name
    /// as `GET` gave it (400 otherwise). Refused while the wizard runs. When nothing else
    /// was stored and no wizard ever ran, the MS Teams tenant goes too, so the
    /// subscription is as it was before the account was stored.
    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn remove_administrator(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
        removal: AdministratorRemoval,
    ) -> Result<(), AppError> {
        caller.require(Role::AdministratorUpdate)?;
        let subscription = self.directory.msteams_subscription(caller, path).await?;
        let mut tx = self.db.begin_write().await?;
        refuse_if_linked(&mut tx, &subscription).await?;
        let tenant = msteams::owned_tenant(&mut tx, subscription.id).await?;
        let stored = match &tenant {
            Some(tenant) => msteams::administrator(&mut tx, tenant.id).await?,
            None => None,
        };
        let (Some(tenant), Some(stored)) = (tenant, stored) else {
            return Err(no_administrator_to(subscription.id, "remove"));
        };
        if tenant.id != removal.id || stored.username != removal.username.as_str() {
            return Err(AppError::invalid(
                "administrator_mismatch",
                format!(
                    "The id and msUsername sent do not name the stored MS Teams administrator of subscription {}; read them with GET msteams/admins",
                    subscription.id
                ),
            ));
        }
        if tenant.status == TenantState::Onboarding {
            return Err(AppError::invalid(
                "wizard_running",
                "The onboarding wizard is running for this subscription and needs the administrator; wait for it to end",
            ));
        }
        msteams::delete_administrator(&mut tx, tenant.id).await?;
        if tenant.status == TenantState::Pending
            && msteams::application(&mut tx, tenant.id).await?.is_none()
        {
            msteams::delete_tenant(&mut tx, tenant.id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn reset_secret(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
        application_id: ApplicationId,
        secret: Secret,
    ) -> Result<(), AppError> {
        caller.require(Role::SecretReset)?;
        let subscription = self.directory.msteams_subscription(caller, path).await?;
        let mut tx = self.db.begin_write().await?;
        refuse_if_linked(&mut tx, &subscription).await?;
        let no_application = || {
            AppError::invalid(
                "no_application_integration",
                format!(
                    "Subscription {} has no application integration to reset",
                    subscription.id
                ),
            )
        };
        let tenant = msteams::owned_tenant(&mut tx, subscription.id)
            .await?
            .ok_or_else(no_application)?;
        let application = msteams::application(&mut tx, tenant.id)
            .await?
            .ok_or_else(no_application)?;
        if application.application_id != application_id.to_string() {
            return Err(AppError::invalid(
                "application_id_mismatch",
                format!(
                    "applicationId {application_id} is not the application of the current integration"
                ),
            ));
        }
        let sealed = self.secrets.seal(
            SecretSlot::ApplicationSecret {
                subscription: subscription.id,
            },
            &secret,
        )?;
        msteams::upsert_application(&mut tx, tenant.id, application_id.uuid(), &sealed).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn create_app_script(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<create_app::Script, AppError> {
        caller.require(Role::DownloadCreateApp)?;
        let subscription = self.directory.msteams_subscription(caller, path).await?;
        let settings = directory_store::group_settings_of_tenant(
            &self.db,
            caller.instance_id,
            subscription.tenant_id,
        )
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "no group settings above tenant {}",
                subscription.tenant_id
            ))
        })?;
        Ok(create_app::Script::for_group(&settings))
    }

    /// `GET …/msteams/status`: the MS Teams tenant the subscription uses, with its
    /// status as the vendor's client reads it (`tenant_status`).
    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn status(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<MsTeamsStatus, AppError> {
        let (subscription, tenant) = self.reach(caller, path, Role::StatusRead).await?;
        let mut conn = self.db.read.acquire().await?;
        let tenant = tenant.ok_or_else(|| {
            AppError::NotFound(format!(
                "No MS Teams tenant found for subscription {}",
                subscription.id
            ))
        })?;
        let linked_to = (tenant.owner_subscription_id != subscription.id)
            .then_some(tenant.owner_subscription_id);
        let application = msteams::application(&mut conn, tenant.id).await?;
        let administrator = msteams::administrator(&mut conn, tenant.id).await?;
        let executed = executed_steps(&mut conn, tenant.id).await?;
        drop(conn);
        let status = tenant_status(
            tenant.status,
            linked_to.is_some(),
            tenant.current_step,
            executed.iter().copied().max(),
        )?;
        Ok(MsTeamsStatus {
            ms_tenant_id: tenant.ms_tenant_id,
            mode: stored_mode(&tenant.mode)?,
            status,
            ms_application_id: application.as_ref().map(|a| a.application_id.clone()),
            domain: tenant.domain.map(|name| DomainStatus {
                name,
                verified: status == MsTeamsTenantStatus::Onboarded
                    || status == MsTeamsTenantStatus::AlreadyLinked
                    || executed.contains(&2),
            }),
            powershell: powershell_integration(administrator),
            ms_graph: graph_integration(application, chrono::Utc::now()),
            linked_to,
        })
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn sources(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<Vec<LinkSource>, AppError> {
        caller.require(Role::SourceList)?;
        caller.require_above_tenant()?;
        let subscription = self.directory.subscription(caller, path).await?;
        let rows = msteams::onboarded_sources(&self.db, caller.node_id, subscription.id).await?;
        Ok(rows
            .into_iter()
            .map(|row| LinkSource {
                subscription_id: row.id,
                subscription_name: row.name,
                tenant_name: row.tenant_name,
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn link(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
        source: SubscriptionId,
    ) -> Result<(), AppError> {
        caller.require(Role::Link)?;
        caller.require_above_tenant()?;
        let subscription = self.directory.msteams_subscription(caller, path).await?;
        if source.get() == subscription.id {
            return Err(AppError::invalid(
                "invalid_link_source",
                "A subscription cannot be linked to itself",
            ));
        }
        let sources = msteams::onboarded_sources(&self.db, caller.node_id, subscription.id).await?;
        if !sources.iter().any(|s| s.id == source.get()) {
            return Err(AppError::invalid(
                "invalid_link_source",
                format!(
                    "Subscription {} is not a subscription with an onboarded MS Teams tenant in your tree of authority; see msteams/sources",
                    source.get()
                ),
            ));
        }
        let mut tx = self.db.begin_write().await?;
        if msteams::effective_tenant(&mut tx, subscription.id)
            .await?
            .is_some()
        {
            return Err(AppError::invalid(
                "msteams_tenant_exists",
                format!(
                    "Subscription {} already has an MS Teams tenant; unlink it first",
                    subscription.id
                ),
            ));
        }
        let target = msteams::effective_tenant(&mut tx, source.get())
            .await?
            .filter(|tenant| tenant.status == TenantState::Onboarded)
            .ok_or_else(|| {
                AppError::invalid(
                    "invalid_link_source",
                    format!("Subscription {} is no longer onboarded", source.get()),
                )
            })?;
        msteams::insert_link(&mut tx, subscription.id, target.id).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn unlink(&self, caller: &Caller, path: &SubscriptionPath) -> Result<(), AppError> {
        caller.require(Role::Unlink)?;
        let subscription = self.directory.subscription(caller, path).await?;
        let mut tx = self.db.begin_write().await?;
        let direct_routing_users =
            directory_store::direct_routing_users(&mut tx, subscription.id).await?;
        if direct_routing_users > 0 {
            return Err(AppError::invalid(
                "direct_routing_users_remain",
                format!(
                    "{direct_routing_users} user(s) of subscription {} still have direct routing enabled; disable it for every user first",
                    subscription.id
                ),
            ));
        }
        if msteams::linked_tenant(&mut tx, subscription.id)
            .await?
            .is_some()
        {
            msteams::delete_link(&mut tx, subscription.id).await?;
        } else {
            let tenant = msteams::owned_tenant(&mut tx, subscription.id)
                .await?
                .ok_or_else(|| {
                    AppError::invalid(
                        "no_msteams_tenant",
                        format!(
                            "Subscription {} has no MS Teams tenant to unlink",
                            subscription.id
                        ),
                    )
                })?;
            refuse_if_shared(&mut tx, &tenant).await?;
            if tenant.status == TenantState::Onboarding {
                return Err(AppError::invalid(
                    "wizard_running",
                    "The onboarding wizard is running for this subscription; wait for it to end",
                ));
            }
            msteams::delete_tenant(&mut tx, tenant.id).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The subscription's own MS Teams tenant when it holds an application integration.
async fn integrated_tenant(
    conn: &mut SqliteConnection,
    subscription: i64,
) -> Result<Option<MsTeamsTenantRow>, AppError> {
    let Some(tenant) = msteams::owned_tenant(conn, subscription).await? else {
        return Ok(None);
    };
    let application = msteams::application(conn, tenant.id).await?;
    Ok(application.map(|_| tenant))
}

/// The MS tenant an application integration is stored for: the one already integrated
/// (which `given` may repeat but not change), else `given`, which a new integration
/// needs.
fn tenant_to_integrate(
    integrated: Option<&MsTeamsTenantRow>,
    given: Option<MsTenantId>,
) -> Result<MsTenantId, AppError> {
    let Some(tenant) = integrated else {
        return given.ok_or_else(|| {
            AppError::invalid(
                "ms_tenant_id_required",
                "msTeamsTenantId is required for a new application integration",
            )
        });
    };
    let stored = tenant
        .ms_tenant_id
        .as_deref()
        .and_then(|id| MsTenantId::parse(id).ok());
    match (stored, given) {
        (Some(stored), Some(given)) if stored != given => Err(AppError::invalid(
            "ms_tenant_id_mismatch",
            format!(
                "msTeamsTenantId {given} does not match the integrated MS Teams tenant {stored}"
            ),
        )),
        (Some(id), _) | (None, Some(id)) => Ok(id),
        (None, None) => Err(AppError::Internal(
            "integration without an MS tenant id".into(),
        )),
    }
}

/// Storing an integration claims nothing (step 1 of the wizard does, once the secret
/// proves control); an id another subscription has claimed is refused without saying
/// which, since it may lie outside the caller's tree.
async fn refuse_if_claimed_elsewhere(
    conn: &mut SqliteConnection,
    ms_tenant_id: &MsTenantId,
    subscription: i64,
) -> Result<(), AppError> {
    match msteams::tenant_claiming(conn, ms_tenant_id.uuid()).await? {
        Some(other) if other.owner_subscription_id != subscription => Err(AppError::invalid(
            "ms_tenant_already_integrated",
            format!(
                "MS Teams tenant {ms_tenant_id} is already onboarded through another subscription. \
                 If that subscription is yours, link to it instead (msteams/link)"
            ),
        )),
        _ => Ok(()),
    }
}

/// A linked subscription shares another's tenant: its credentials are managed there.
pub(super) async fn refuse_if_linked(
    conn: &mut SqliteConnection,
    subscription: &SubscriptionRecord,
) -> Result<(), AppError> {
    match msteams::linked_tenant(conn, subscription.id).await? {
        Some(tenant) => Err(AppError::invalid(
            "subscription_linked",
            format!(
                "Subscription {} is linked to the MS Teams tenant of subscription {}; manage its integration there or unlink first",
                subscription.id, tenant.owner_subscription_id
            ),
        )),
        None => Ok(()),
    }
}

/// `status` of `GET …/msteams/status` from the tenant's stored state: a linked
/// subscription is `already_linked`; credentials stored with no wizard step executed
/// yet (no run, or one in its preparation phase or at step 0) are `not_initiated`, so a
/// client never reads a `wizard_<step>_ok` naming a step that has not run; a running
/// wizard is `wizard_<last executed step>_ok`; a failed one `wizard_<failed step>_error`.
fn tenant_status(
    stored: TenantState,
    linked: bool,
    current_step: Option<i64>,
    last_executed: Option<u8>,
) -> Result<MsTeamsTenantStatus, AppError> {
    if linked {
        return Ok(MsTeamsTenantStatus::AlreadyLinked);
    }
    let unknown = || {
        AppError::Internal(format!(
            "{stored:?} MS Teams tenant at step {current_step:?}, last executed {last_executed:?}"
        ))
    };
    match stored {
        TenantState::Pending => Ok(MsTeamsTenantStatus::NotInitiated),
        TenantState::Onboarding => match last_executed {
            None => Ok(MsTeamsTenantStatus::NotInitiated),
            Some(step) => MsTeamsTenantStatus::wizard_ok(step).ok_or_else(unknown),
        },
        TenantState::Failed => u8::try_from(current_step.unwrap_or(0))
            .ok()
            .and_then(MsTeamsTenantStatus::wizard_error)
            .ok_or_else(unknown),
        TenantState::Onboarded => Ok(MsTeamsTenantStatus::Onboarded),
    }
}

/// The wizard steps of the tenant that have been executed.
async fn executed_steps(conn: &mut SqliteConnection, tenant_row: i64) -> Result<Vec<u8>, AppError> {
    Ok(wizard_store::steps(conn, tenant_row)
        .await?
        .into_iter()
        .filter(|step| step.executed_at.is_some())
        .filter_map(|step| u8::try_from(step.step).ok())
        .collect())
}

fn stored_mode(mode: &str) -> Result<MsTeamsMode, AppError> {
    match mode {
        "direct_routing" => Ok(MsTeamsMode::DirectRouting),
        "operator_connect" => Ok(MsTeamsMode::OperatorConnect),
        other => Err(AppError::Internal(format!("stored mode {other}"))),
    }
}

/// `powershell` of `GET …/msteams/status`: the stored administrator account, if any.
fn powershell_integration(administrator: Option<AdministratorRow>) -> PowershellIntegration {
    PowershellIntegration {
        active: administrator.is_some(),
        updated_at: administrator.as_ref().map(|a| a.updated_at),
        ms_user_name: administrator.map(|a| a.username),
    }
}

/// `msGraph` of `GET …/msteams/status`: the stored application, active while its
/// secret is not known to have expired at `now`.
fn graph_integration(application: Option<ApplicationRow>, now: DateTime<Utc>) -> GraphIntegration {
    GraphIntegration {
        active: application
            .as_ref()
            .is_some_and(|a| a.secret_expires_at.is_none_or(|at| at > now)),
        updated_at: application.as_ref().map(|a| a.updated_at),
        secret_expires_at: application.as_ref().and_then(|a| a.secret_expires_at),
        ms_application_id: application.map(|a| a.application_id),
    }
}

/// Nothing to change: no administrator account is stored.
fn no_administrator_to(subscription: i64, what: &str) -> AppError {
    AppError::invalid(
        "no_administrator",
        format!("Subscription {subscription} has no stored MS Teams administrator to {what}"),
    )
}

/// Microsoft's refusal as a 400 naming what to do; our own faults stay 500s.
pub(super) fn refusal(error: MicrosoftError) -> AppError {
    match error {
        MicrosoftError::Internal(message) => AppError::Internal(message),
        other => AppError::invalid("microsoft_refused", other.message().to_owned()),
    }
}

async fn refuse_if_shared(
    conn: &mut SqliteConnection,
    tenant: &MsTeamsTenantRow,
) -> Result<(), AppError> {
    let linked = msteams::linked_subscription_count(conn, tenant.id).await?;
    if linked > 0 {
        Err(AppError::invalid(
            "linked_subscriptions_remain",
            format!(
                "{linked} other subscription(s) are linked to this MS Teams tenant; unlink them first"
            ),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use app::api_types::MsTeamsTenantStatus as S;

    use super::tenant_status;
    use crate::store::msteams::TenantState;

    #[test]
    fn the_stored_state_maps_to_the_vendor_clients_status_values() {
        // (stored status, linked, current step, last executed step, expected)
        let cases = [
            (TenantState::Pending, false, None, None, S::NotInitiated),
            (
                TenantState::Onboarding,
                false,
                Some(0),
                None,
                S::NotInitiated,
            ),
            (
                TenantState::Onboarding,
                false,
                Some(1),
                Some(0),
                S::Wizard0Ok,
            ),
            (
                TenantState::Onboarding,
                false,
                Some(3),
                Some(2),
                S::Wizard2Ok,
            ),
            (
                TenantState::Onboarding,
                false,
                Some(5),
                Some(4),
                S::Wizard4Ok,
            ),
            (TenantState::Failed, false, Some(0), None, S::Wizard0Error),
            (
                TenantState::Failed,
                false,
                Some(4),
                Some(3),
                S::Wizard4Error,
            ),
            (TenantState::Onboarded, false, None, Some(5), S::Onboarded),
            (
                TenantState::Onboarded,
                true,
                None,
                Some(5),
                S::AlreadyLinked,
            ),
            (
                TenantState::Onboarding,
                true,
                Some(2),
                Some(1),
                S::AlreadyLinked,
            ),
        ];
        for (stored, linked, current, executed, expected) in cases {
            assert_eq!(
                tenant_status(stored, linked, current, executed).unwrap(),
                expected,
                "{stored:?} linked={linked} current={current:?} executed={executed:?}"
            );
        }
        assert!(tenant_status(TenantState::Failed, false, Some(6), None).is_err());
    }

    #[test]
    fn every_status_value_has_its_serde_name() {
        for status in S::ALL {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::String(status.to_string())
            );
            let step = status.wizard_step();
            assert_eq!(
                step.and_then(if status.is_error() {
                    S::wizard_error
                } else {
                    S::wizard_ok
                }),
                step.map(|_| status)
            );
        }
    }
}
