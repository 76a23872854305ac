//! The onboarding wizard as callers see it: start (or resume) a run, read its steps,
//! and read any asynchronous task by its transaction id. The steps themselves run in
//! the job runner (`wizard_steps`).

use std::time::Duration;

use app::api_types::{
    Role, TransactionInfo, VoiceRoutingStatus, WizardFailure, WizardState, WizardStep, WizardView,
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
        msteams::{self, TenantState},
        wizard::{self as wizard_store, StepRow},
    },
};

/// The job kind, and the transaction kind, of a wizard run.
pub const WIZARD_JOB: &str = "msteams.wizard";

/// The cursor of a run still in its preparation phase (before step 0).
pub const PREPARATION: i64 = -1;

/// The six steps, numbered 0–5.
pub use app::api_types::WIZARD_STEP_TEXTS as STEP_TEXTS;

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
        let tenant = msteams::owned_tenant(&mut tx, subscription.id).await?;
        let (tenant, has_application, has_administrator) = match tenant {
            Some(tenant) => {
                let application = msteams::application(&mut tx, tenant.id).await?.is_some();
                let administrator = msteams::administrator(&mut tx, tenant.id).await?.is_some();
                (Some(tenant), application, administrator)
            }
            None => (None, false, false),
        };
        let missing: Vec<&str> = [
            (!has_application).then_some("the application integration (msteams/applications)"),
            (!has_administrator)
                .then_some("the MS Teams administrator credentials (msteams/admins)"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let Some(tenant) = tenant.filter(|_| missing.is_empty()) else {
            return Err(AppError::invalid(
                "wizard_needs_credentials",
                format!(
                    "The wizard needs {} of subscription {} first",
                    missing.join(" and "),
                    subscription.id
                ),
            ));
        };
        match tenant.status {
            TenantState::Onboarding => {
                let (run, _) = wizard_store::run_of(&mut tx, tenant.id).await?;
                return Err(AppError::Conflict {
                    code: "wizard_running",
                    detail: format!(
                        "The onboarding wizard is already running for subscription {} (transaction {}); wait for it to end",
                        subscription.id,
                        run.unwrap_or_default()
                    ),
                });
            }
            TenantState::Onboarded => {
                return Err(AppError::invalid(
                    "already_onboarded",
                    format!(
                        "The MS Teams tenant of subscription {} is onboarded already; use msteams/update_vrp to re-apply its voice routing",
                        subscription.id
                    ),
                ));
            }
            _ => {}
        }
        let prepared = wizard_store::has_steps(&mut tx, tenant.id).await?;
        let (cursor, delay) = if prepared {
            let step = wizard_store::first_pending_step(&mut tx, tenant.id)
                .await?
                .unwrap_or(5);
            wizard_store::mark_started(&mut tx, tenant.id, step).await?;
            (step, Duration::ZERO)
        } else {
            (PREPARATION, self.preparation)
        };
        let id =
            wizard_store::insert_transaction(&mut tx, WIZARD_JOB, subscription.id, caller.user_id)
                .await?;
        jobs::enqueue(&mut tx, id, WIZARD_JOB, cursor, delay).await?;
        wizard_store::set_run(&mut tx, tenant.id, id).await?;
        wizard_store::set_progress(
            &mut tx,
            tenant.id,
            TenantState::Onboarding,
            Some(cursor.max(0)),
            None,
        )
        .await?;
        tx.commit().await?;
        self.signal.wake();
        Ok(id)
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username, path = %path))]
    pub async fn state(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<WizardView, AppError> {
        caller.require(Role::WizardRead)?;
        let subscription = self.directory.subscription(caller, path).await?;
        let mut conn = self.db.read.acquire().await?;
        let not_started = WizardView::NotStarted(format!(
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
            let problem = AppError::invalid("wizard_failed", error).to_problem();
            return Ok(WizardView::Failed(WizardFailure {
                problem_type: problem.problem_type,
                title: problem.title,
                status: problem.status,
                detail: problem.detail,
                code: problem.code,
                error: problem.error,
                running: state.running,
                wizard_steps: state.wizard_steps,
                failed_step: tenant.current_step.and_then(|s| u8::try_from(s).ok()),
            }));
        }
        Ok(WizardView::Active(state))
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
