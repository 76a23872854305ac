//! The onboarding wizard as callers see it: start (or resume) a run, read its steps,
//! and read any asynchronous task by its transaction id. The steps themselves run in
//! the job runner (`wizard_steps`).

use std::time::Duration;

use sqlx::SqliteConnection;

use app::api_types::{
    Role, TransactionInfo, TransactionKind, VoiceRoutingStatus, WizardState, WizardStep,
};

use super::{
    AppError, Caller,
    directory::Directory,
    onboarding::refuse_if_linked,
    types::{DraasInstance, SubscriptionId, SubscriptionPath, TenantUuid},
};
use crate::{
    jobs::{self, JobSignal},
    store::{
        Db,
        msteams::{self, MsTeamsTenantRow, TenantState},
        wizard::{self as wizard_store, StepRow},
    },
};

/// The job kind, and the transaction kind, of a wizard run.
pub const WIZARD_JOB: &str = TransactionKind::MsteamsWizard.as_str();

/// The cursor of a run still in its preparation phase (before step 0).
pub const PREPARATION: i64 = -1;

/// The six steps, numbered 0–5.
pub use app::api_types::WIZARD_STEP_TEXTS as STEP_TEXTS;

/// Where a subscription's wizard stands (`GET …/msteams/wizard`). The edges make it
/// what they send (`WizardView`): the REST API a 404, a 200 or a 400 problem+json body
/// that also carries the steps.
#[derive(Debug)]
pub enum WizardProgress {
    /// No steps yet: no run, or one still in its preparation phase (the detail says
    /// which).
    NotStarted(String),
    /// Running, or done.
    Active(WizardState),
    /// Ended with `error` (a 400 refusal) at `failed_step`, where a new start resumes.
    Failed {
        error: AppError,
        state: WizardState,
        failed_step: Option<u8>,
    },
}

#[derive(Clone, Debug)]
pub struct Wizard {
    db: Db,
    directory: Directory,
    signal: JobSignal,
    /// How long the preparation phase lasts (scaled by the simulator's time scale).
    preparation: Duration,
}

impl Wizard {
    pub fn new(db: Db, directory: Directory, signal: JobSignal, preparation: Duration) -> Self {
        Wizard {
            db,
            directory,
            signal,
            preparation,
        }
    }

    /// Starts the wizard, or resumes a failed run at its failed step. Returns the
    /// transaction id.
    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn start(&self, caller: &Caller, path: &SubscriptionPath) -> Result<i64, AppError> {
        caller.require(Role::WizardStart)?;
        let subscription = self.directory.msteams_subscription(caller, path).await?;
        // One writer connection: concurrent starts queue here, so exactly one sees
        // the tenant idle and the others see it onboarding (409).
        let mut tx = self.db.begin_write().await?;
        refuse_if_linked(&mut tx, &subscription).await?;
        let tenant = credentialed_tenant(&mut tx, subscription.id).await?;
        refuse_if_started(&mut tx, subscription.id, &tenant).await?;
        let id = self
            .enqueue_run(&mut tx, caller, subscription.id, tenant.id)
            .await?;
        tx.commit().await?;
        self.signal.wake();
        Ok(id)
    }

    /// Records a run of `tenant`: its transaction, its job, and the tenant onboarding
    /// from the run's first step. Returns the transaction id.
    async fn enqueue_run(
        &self,
        conn: &mut SqliteConnection,
        caller: &Caller,
        subscription: i64,
        tenant: i64,
    ) -> Result<i64, AppError> {
        let (cursor, delay) = self.first_cursor(conn, tenant).await?;
        let id = wizard_store::insert_transaction(conn, WIZARD_JOB, subscription, caller.user_id)
            .await?;
        jobs::enqueue(conn, id, WIZARD_JOB, cursor, delay).await?;
        wizard_store::set_run(conn, tenant, id).await?;
        wizard_store::set_progress(
            conn,
            tenant,
            TenantState::Onboarding,
            Some(cursor.max(0)),
            None,
        )
        .await?;
        Ok(id)
    }

    /// Where a run begins, and when: a first run with its preparation phase, after
    /// `preparation`; a resumed one at once, at the first step not executed yet (marked
    /// started), since executed steps are not redone.
    async fn first_cursor(
        &self,
        conn: &mut SqliteConnection,
        tenant: i64,
    ) -> Result<(i64, Duration), AppError> {
        if !wizard_store::has_steps(conn, tenant).await? {
            return Ok((PREPARATION, self.preparation));
        }
        let step = wizard_store::first_pending_step(conn, tenant)
            .await?
            .unwrap_or(5);
        wizard_store::mark_started(conn, tenant, step).await?;
        Ok((step, Duration::ZERO))
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn state(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<WizardProgress, AppError> {
        caller.require(Role::WizardRead)?;
        let subscription = self.directory.subscription(caller, path).await?;
        let mut conn = self.db.read.acquire().await?;
        let not_started = WizardProgress::NotStarted(format!(
            "The MS Teams tenant of subscription {} has not been initialized yet: no wizard has started, or it is in its preparation phase",
            subscription.id
        ));
        let Some(tenant) = msteams::owned_tenant(&mut conn, subscription.id).await? else {
            return Ok(not_started);
        };
        let rows = wizard_store::steps(&mut conn, tenant.id).await?;
        if rows.is_empty() {
            return Ok(not_started);
        }
        let state = WizardState {
            running: tenant.status == TenantState::Onboarding,
            wizard_steps: rows.iter().map(step).collect::<Result<_, _>>()?,
        };
        if tenant.status == TenantState::Failed {
            let (_, error) = wizard_store::run_of(&mut conn, tenant.id).await?;
            let error = error.unwrap_or_else(|| "The wizard has ended with an error".into());
            return Ok(WizardProgress::Failed {
                error: AppError::invalid("wizard_failed", error),
                state,
                failed_step: tenant.current_step.and_then(|s| u8::try_from(s).ok()),
            });
        }
        Ok(WizardProgress::Active(state))
    }

    /// Any asynchronous task, for a caller who may read its subscription's wizard.
    #[tracing::instrument(skip_all, fields(user = %caller.username, transaction = id))]
    pub async fn transaction(&self, caller: &Caller, id: i64) -> Result<TransactionInfo, AppError> {
        caller.require(Role::WizardRead)?;
        let not_found = || AppError::NotFound(format!("No transaction {id}"));
        let row = wizard_store::transaction(&self.db, id)
            .await?
            .ok_or_else(not_found)?;
        let (Some(subscription), Some(tenant)) = (row.subscription_id, row.tenant_id.as_deref())
        else {
            return Err(not_found());
        };
        let path = SubscriptionPath {
            instance: DraasInstance::parse(&caller.instance_slug)?,
            tenant: TenantUuid::parse(tenant)?,
            subscription: SubscriptionId::from_body(subscription)?,
        };
        // Outside the caller's tree of authority it does not exist, as for any path.
        self.directory
            .subscription(caller, &path)
            .await
            .map_err(|_| not_found())?;
        Ok(TransactionInfo {
            id: row.id,
            kind: row.kind,
            status: row.status,
            subscription_id: subscription,
            tenant_uuid: tenant.to_owned(),
            detail: row.detail,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The subscription's own MS Teams tenant, once both credentials the steps sign in
/// with are stored (400 naming what is missing otherwise).
async fn credentialed_tenant(
    conn: &mut SqliteConnection,
    subscription: i64,
) -> Result<MsTeamsTenantRow, AppError> {
    let tenant = msteams::owned_tenant(conn, subscription).await?;
    let (has_application, has_administrator) = match &tenant {
        Some(tenant) => (
            msteams::application(conn, tenant.id).await?.is_some(),
            msteams::administrator(conn, tenant.id).await?.is_some(),
        ),
        None => (false, false),
    };
    let missing: Vec<&str> = [
        (!has_application).then_some("the application integration (msteams/applications)"),
        (!has_administrator).then_some("the MS Teams administrator credentials (msteams/admins)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    tenant.filter(|_| missing.is_empty()).ok_or_else(|| {
        AppError::invalid(
            "wizard_needs_credentials",
            format!(
                "The wizard needs {} of subscription {subscription} first",
                missing.join(" and ")
            ),
        )
    })
}

/// A tenant whose run is still going (409) or that is onboarded already (400) is not
/// started again; a new or failed one is.
async fn refuse_if_started(
    conn: &mut SqliteConnection,
    subscription: i64,
    tenant: &MsTeamsTenantRow,
) -> Result<(), AppError> {
    match tenant.status {
        TenantState::Pending | TenantState::Failed => Ok(()),
        TenantState::Onboarding => {
            let (run, _) = wizard_store::run_of(conn, tenant.id).await?;
            Err(AppError::Conflict {
                code: "wizard_running",
                detail: format!(
                    "The onboarding wizard is already running for subscription {subscription} (transaction {}); wait for it to end",
                    run.unwrap_or_default()
                ),
            })
        }
        TenantState::Onboarded => Err(AppError::invalid(
            "already_onboarded",
            format!(
                "The MS Teams tenant of subscription {subscription} is onboarded already; use msteams/update_vrp to re-apply its voice routing"
            ),
        )),
    }
}

fn step(row: &StepRow) -> Result<WizardStep, AppError> {
    let number = u8::try_from(row.step).map_err(|_| AppError::Internal("bad step".into()))?;
    let status = row
        .voice_routing_status
        .as_deref()
        .map(serde_json::from_str::<VoiceRoutingStatus>)
        .transpose()
        .map_err(|e| AppError::Internal(format!("stored voice routing status: {e}")))?;
    Ok(WizardStep {
        step: number,
        text: STEP_TEXTS[usize::from(number).min(5)].to_owned(),
        executed: row.executed_at.is_some(),
        status,
        started_at: row.started_at,
        executed_at: row.executed_at,
    })
}
