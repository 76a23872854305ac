//! The six wizard steps, as a job handler: each execution does one step (or one round
//! of the DNS check loop) against Microsoft, and its outcome is recorded on the tenant's
//! steps in the same transaction that moves the job. Every call to Microsoft is
//! check-then-create, so a step re-run after a crash creates nothing twice.

use std::{sync::Arc, time::Duration};

use app::api_types::TransactionStatus;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::{
    AppError, voice_routing,
    wizard::{PREPARATION, STEP_TEXTS},
};
use crate::{
    crypto::{SecretBox, SecretSlot},
    jobs::{Job, JobError, JobHandler, Outcome},
    microsoft::{AdminLogin, AppCredentials, DnsZone, Graph, MicrosoftError, TeamsVoice},
    store::{
        Db,
        msteams::{self, TenantState},
        wizard::{self as wizard_store, WizardTarget},
    },
};

/// The Microsoft services the steps call.
#[derive(Clone, Debug)]
pub struct MicrosoftServices {
    pub graph: Arc<dyn Graph>,
    pub dns: Arc<dyn DnsZone>,
    pub teams: Arc<dyn TeamsVoice>,
}

/// The DNS check loop's pace.
#[derive(Clone, Copy, Debug)]
pub struct DnsCheckLoop {
    /// The wait between two verification checks (already scaled).
    pub interval: Duration,
    /// Checks before the loop gives up.
    pub limit: u32,
}

pub struct WizardSteps {
    db: Db,
    secrets: SecretBox,
    microsoft: MicrosoftServices,
    dns_check: DnsCheckLoop,
}

/// A step's inputs: the tenant, and both sign-ins.
struct StepContext {
    target: WizardTarget,
    app: AppCredentials,
    login: AdminLogin,
}

/// What step 2 remembers between verification checks.
#[derive(Debug, Default, Serialize, Deserialize)]
struct DomainMemo {
    checks: u32,
    txt: String,
}

impl WizardSteps {
    pub fn new(
        db: Db,
        secrets: SecretBox,
        microsoft: MicrosoftServices,
        dns_check: DnsCheckLoop,
    ) -> Self {
        WizardSteps {
            db,
            secrets,
            microsoft,
            dns_check,
        }
    }

    async fn run(&self, job: &Job) -> Result<Outcome, AppError> {
        if job.cursor == PREPARATION {
            return Ok(advance(0, None));
        }
        let context = self.context(job).await?;
        let (app, target) = (&context.app, &context.target);
        let graph = self.microsoft.graph.as_ref();
        let step = job.cursor;
        let outcome = match step {
            0 => advance(1, None),
            // The sign-in with the secret proves control of the MS tenant: only now is
            // its id claimed for this subscription.
            1 => match graph.ensure_service_principal(app).await {
                Ok(_) if self.claim(target).await? => advance(2, None),
                Ok(_) => failure(
                    1,
                    "This MS Teams tenant is already onboarded through another subscription. \
                     Unlink this subscription's integration and link it to that subscription instead"
                        .into(),
                    None,
                ),
                Err(error) => fault(step, error),
            },
            2 => self.domain(job, target, app).await,
            3 => {
                let domain = domain_of(target)?;
                match self.email_service(app, &domain).await {
                    Ok(()) => advance(4, None),
                    Err(error) => fault(step, error),
                }
            }
            4 => {
                let upn = dummy_user(&domain_of(target)?);
                let licensed = match graph.ensure_user(app, &upn).await {
                    Ok(_) => graph.assign_license(app, &upn).await,
                    Err(error) => Err(error),
                };
                match licensed {
                    Ok(_) => advance(5, None),
                    Err(error) => fault(step, error),
                }
            }
            5 => {
                self.voice_routing(app, &context.login, &dummy_user(&domain_of(target)?))
                    .await?
            }
            other => {
                return Err(AppError::Internal(format!(
                    "wizard step {other} does not exist"
                )));
            }
        };
        Ok(outcome)
    }

    /// Claims the MS tenant id for this run's tenant; false when another subscription
    /// holds it. Written by the step itself, unlike other effects, so that losing a race
    /// is this step's failure: it is idempotent, and a claim kept after a crash is right,
    /// since the sign-in has proved control.
    async fn claim(&self, target: &WizardTarget) -> Result<bool, AppError> {
        let mut tx = self.db.begin_write().await?;
        let held = msteams::claim_ms_tenant_id(&mut tx, target.tenant_row).await?;
        tx.commit().await?;
        Ok(held)
    }

    /// What the step needs, read (and the secrets opened) before calling Microsoft, so
    /// that no database connection is held across a call.
    async fn context(&self, job: &Job) -> Result<StepContext, AppError> {
        let mut conn = self.db.read.acquire().await?;
        let target = wizard_store::target(&mut conn, job.id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("wizard {} lost its tenant", job.id)))?;
        let ms_tenant_id = target
            .ms_tenant_id
            .as_deref()
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| AppError::Internal("wizard tenant without an MS tenant id".into()))?;
        let (application_id, app_secret) =
            msteams::application_credentials(&mut conn, target.tenant_row)
                .await?
                .ok_or_else(|| AppError::Internal("wizard tenant without an application".into()))?;
        let (username, password) = msteams::administrator_credentials(&mut conn, target.tenant_row)
            .await?
            .ok_or_else(|| AppError::Internal("wizard tenant without an administrator".into()))?;
        drop(conn);
        Ok(StepContext {
            app: AppCredentials {
                ms_tenant_id,
                application_id: Uuid::parse_str(&application_id)
                    .map_err(|e| AppError::Internal(format!("stored application id: {e}")))?,
                secret: self.secrets.open(
                    SecretSlot::ApplicationSecret {
                        subscription: target.subscription_id,
                    },
                    &app_secret,
                )?,
            },
            login: AdminLogin {
                ms_tenant_id,
                username,
                password: self.secrets.open(
                    SecretSlot::AdministratorPassword {
                        subscription: target.subscription_id,
                    },
                    &password,
                )?,
            },
            target,
        })
    }

    /// Step 2: add the domain, publish its TXT record, then check until Microsoft sees
    /// it; each check that fails is a wait, never a sleeping task.
    async fn domain(&self, job: &Job, target: &WizardTarget, app: &AppCredentials) -> Outcome {
        let domain = domain_name(target);
        let mut memo: DomainMemo = job
            .memo
            .as_deref()
            .and_then(|memo| serde_json::from_str(memo).ok())
            .unwrap_or_default();
        if memo.checks == 0 {
            let txt = match self.microsoft.graph.ensure_domain(app, &domain).await {
                Ok(txt) => txt,
                Err(error) => return fault(2, error),
            };
            if let Err(error) = self
                .microsoft
                .dns
                .publish(app.ms_tenant_id, &domain, &txt)
                .await
            {
                return fault(2, error);
            }
            memo.txt = txt.value;
        }
        match self.microsoft.graph.verify_domain(app, &domain).await {
            Ok(true) => advance(3, Some(domain)),
            Ok(false) => {
                memo.checks += 1;
                if memo.checks >= self.dns_check.limit {
                    return failure(
                        2,
                        format!(
                            "The TXT record {} of domain {domain} has not propagated after {} checks. Check the record \
                             in the DNS zone (or switch the fault off in the simulator), then start the wizard again",
                            memo.txt, memo.checks
                        ),
                        None,
                    );
                }
                Outcome::Wait {
                    after: self.dns_check.interval,
                    memo: serde_json::to_string(&memo).ok(),
                }
            }
            Err(error) => fault(2, error),
        }
    }

    /// Step 3: the e-mail service's records, published in the zone.
    async fn email_service(
        &self,
        app: &AppCredentials,
        domain: &str,
    ) -> Result<(), MicrosoftError> {
        let records = self.microsoft.graph.email_records(app, domain).await?;
        for record in &records {
            self.microsoft
                .dns
                .publish(app.ms_tenant_id, domain, record)
                .await?;
        }
        Ok(())
    }

    /// Step 5: the voice routing objects, then the dummy user's license goes back.
    async fn voice_routing(
        &self,
        app: &AppCredentials,
        login: &AdminLogin,
        dummy: &str,
    ) -> Result<Outcome, AppError> {
        let status = match voice_routing::apply(self.microsoft.teams.as_ref(), login).await {
            Ok(status) => status,
            Err(error) => return Ok(fault(5, error)),
        };
        let note = serde_json::to_string(&status).ok();
        let errors = voice_routing::errors(&status);
        if !errors.is_empty() {
            return Ok(failure(5, errors.join("; "), note));
        }
        Ok(
            match self.microsoft.graph.remove_licenses(app, dummy).await {
                Ok(()) => Outcome::Done { note },
                Err(error) => fault(5, error),
            },
        )
    }
}

#[async_trait]
impl JobHandler for WizardSteps {
    async fn execute(&self, job: &Job) -> Outcome {
        match self.run(job).await {
            Ok(outcome) => outcome,
            // Our own storage or key trouble: worth another try, then the run fails.
            // The detail goes to the log; users see that it was ours.
            Err(error) => {
                tracing::error!(job = job.id, %error, "wizard step failed internally");
                internal_retry(job.cursor.max(0))
            }
        }
    }

    async fn record(
        &self,
        tx: &mut SqliteConnection,
        job: &Job,
        outcome: &Outcome,
    ) -> Result<(), JobError> {
        let Some(target) = wizard_store::target(tx, job.id).await? else {
            return Err(format!("wizard {} lost its tenant", job.id).into());
        };
        record_progress(tx, target.tenant_row, job, outcome).await?;
        let (status, detail) = transaction_status(outcome);
        wizard_store::set_transaction(tx, job.id, status, detail).await?;
        Ok(())
    }

    async fn reconcile(&self, db: &Db) -> Result<u64, JobError> {
        Ok(wizard_store::fail_orphaned_runs(
            db,
            "The wizard run ended without recording its progress (an internal error). \
             Start the wizard again to resume at this step",
        )
        .await?)
    }
}

/// What an outcome changes in the tenant's steps and progress; a wait or a retry
/// changes nothing there.
async fn record_progress(
    tx: &mut SqliteConnection,
    tenant_row: i64,
    job: &Job,
    outcome: &Outcome,
) -> Result<(), sqlx::Error> {
    match outcome {
        Outcome::Advance { cursor, note, .. } => {
            if job.cursor == PREPARATION {
                wizard_store::create_steps(tx, tenant_row).await?;
            } else {
                wizard_store::mark_executed(tx, tenant_row, job.cursor).await?;
            }
            if let (2, Some(domain)) = (job.cursor, note) {
                wizard_store::set_domain(tx, tenant_row, domain).await?;
            }
            wizard_store::mark_started(tx, tenant_row, *cursor).await?;
            wizard_store::set_progress(
                tx,
                tenant_row,
                TenantState::Onboarding,
                Some(*cursor),
                None,
            )
            .await?;
        }
        Outcome::Done { note } => {
            wizard_store::mark_executed(tx, tenant_row, job.cursor).await?;
            if let Some(status) = note {
                wizard_store::set_voice_routing_status(tx, tenant_row, status).await?;
            }
            wizard_store::set_progress(tx, tenant_row, TenantState::Onboarded, None, None).await?;
        }
        Outcome::Fail { error, note } => {
            if job.cursor == PREPARATION {
                wizard_store::create_steps(tx, tenant_row).await?;
            }
            if let Some(status) = note {
                wizard_store::set_voice_routing_status(tx, tenant_row, status).await?;
            }
            wizard_store::set_progress(
                tx,
                tenant_row,
                TenantState::Failed,
                Some(job.cursor.max(0)),
                Some(error),
            )
            .await?;
        }
        Outcome::Wait { .. } | Outcome::Retry { .. } => {}
    }
    Ok(())
}

/// The run's transaction as an outcome leaves it: its status, and the error to show.
fn transaction_status(outcome: &Outcome) -> (TransactionStatus, Option<&str>) {
    match outcome {
        Outcome::Advance { .. } | Outcome::Wait { .. } => (TransactionStatus::Running, None),
        Outcome::Retry { error, .. } => (TransactionStatus::Running, Some(error.as_str())),
        Outcome::Done { .. } => (TransactionStatus::Succeeded, None),
        Outcome::Fail { error, .. } => (TransactionStatus::Failed, Some(error.as_str())),
    }
}

fn internal_retry(step: i64) -> Outcome {
    Outcome::Retry {
        error: format!("Step {step}: an internal error interrupted the step; it is retried"),
        after: None,
    }
}

fn advance(cursor: i64, note: Option<String>) -> Outcome {
    Outcome::Advance {
        cursor,
        after: Duration::ZERO,
        note,
    }
}

fn failure(step: i64, message: String, note: Option<String>) -> Outcome {
    let text = usize::try_from(step)
        .ok()
        .and_then(|s| STEP_TEXTS.get(s))
        .copied()
        .unwrap_or("preparation");
    Outcome::Fail {
        error: format!("Step {step} ({text}) failed: {message}"),
        note,
    }
}

/// Microsoft's answer as the job's outcome: transient faults are retried (honouring
/// Retry-After), permanent ones end the run naming the step.
fn fault(step: i64, error: MicrosoftError) -> Outcome {
    match error {
        MicrosoftError::Transient {
            message,
            retry_after_ms,
        } => Outcome::Retry {
            error: format!("Step {step}: {message}"),
            after: retry_after_ms.map(Duration::from_millis),
        },
        MicrosoftError::Permanent(message) => failure(step, message, None),
        MicrosoftError::Internal(message) => {
            tracing::error!(step, %message, "simulated Microsoft failed internally");
            internal_retry(step)
        }
    }
}

/// The domain the platform gives the tenant: `{tenant}-{subscription}.draas.{instance}`.
fn domain_name(target: &WizardTarget) -> String {
    let mut label = String::new();
    for c in target.tenant_name.chars() {
        if c.is_ascii_alphanumeric() {
            label.push(c.to_ascii_lowercase());
        } else if !label.is_empty() && !label.ends_with('-') {
            label.push('-');
        }
    }
    let label = label.trim_end_matches('-');
    let label = if label.is_empty() { "tenant" } else { label };
    format!(
        "{label}-{}.draas.{}",
        target.subscription_id, target.instance_slug
    )
}

fn domain_of(target: &WizardTarget) -> Result<String, AppError> {
    target
        .domain
        .clone()
        .ok_or_else(|| AppError::Internal("wizard step needs the domain of step 2".into()))
}

fn dummy_user(domain: &str) -> String {
    format!("draas-dummy@{domain}")
}
