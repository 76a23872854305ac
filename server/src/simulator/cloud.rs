//! The simulated Microsoft cloud as the onboarding reaches it: one journaled call at a
//! time, each with its latency (scaled), its faults and its own write transaction.

use std::time::{Duration, Instant};

use app::api_types::SimFault;
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use super::{
    SimulatorControl,
    store::{self, JournalLine, TenantRows},
};
use crate::{
    domain::types::MsTenantId,
    microsoft::{Applied, MicrosoftError},
    store::Db,
};

/// How fast simulated time runs, and how long DNS takes to propagate.
#[derive(Clone, Copy, Debug)]
pub struct SimSettings {
    /// Multiplies every simulated latency and wait: 1.0 is realistic, 0.0 instant.
    pub time_scale: f64,
    /// Verification checks a TXT record needs before Microsoft sees it.
    pub propagation_rounds: u32,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            time_scale: 1.0,
            propagation_rounds: 2,
        }
    }
}

impl SimSettings {
    /// A nominal duration at this time scale.
    pub fn scaled(&self, nominal: Duration) -> Duration {
        nominal.mul_f64(self.time_scale.max(0.0))
    }
}

/// The simulated Microsoft cloud, as the onboarding sees it.
#[derive(Clone, Debug)]
pub struct SimulatedMicrosoft {
    pub(super) db: Db,
    control: SimulatorControl,
    pub(super) settings: SimSettings,
}

/// A simulated call in progress: its transaction, the tenant's faults, and what the
/// journal line will say.
pub(super) struct Call {
    pub tx: Transaction<'static, Sqlite>,
    pub tenant: String,
    pub faults: Vec<SimFault>,
    operation: &'static str,
    target: String,
    started: Instant,
}

impl SimulatedMicrosoft {
    pub fn new(db: Db, control: SimulatorControl, settings: SimSettings) -> Self {
        SimulatedMicrosoft {
            db,
            control,
            settings,
        }
    }

    pub fn settings(&self) -> SimSettings {
        self.settings
    }

    /// Waits the call's latency, makes sure the tenant exists (an unknown one is a
    /// healthy tenant made on the fly), and opens the call's transaction.
    pub(super) async fn begin(
        &self,
        tenant: Uuid,
        operation: &'static str,
        target: &str,
        latency: Duration,
    ) -> Result<Call, MicrosoftError> {
        let started = Instant::now();
        let pause = self.settings.scaled(latency);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        self.control
            .ensure_tenant(
                MsTenantId::from(tenant),
                "tenant",
                &store::default_licenses(),
                &[],
                None,
            )
            .await
            .map_err(internal)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let tenant = tenant.to_string();
        let faults = TenantRows::new(&mut tx, &tenant)
            .faults()
            .await
            .map_err(internal)?;
        Ok(Call {
            tx,
            tenant,
            faults,
            operation,
            target: target.to_owned(),
            started,
        })
    }
}

impl Call {
    /// The call's tenant's rows, in the call's transaction.
    pub fn rows(&mut self) -> TenantRows<'_> {
        TenantRows::new(&mut self.tx, &self.tenant)
    }

    pub fn has(&self, fault: SimFault) -> bool {
        self.faults.contains(&fault)
    }

    /// Journals the call's outcome and commits what it did.
    pub async fn finish(
        mut self,
        outcome: &str,
        status: u16,
        detail: Option<&str>,
    ) -> Result<(), MicrosoftError> {
        let line = JournalLine {
            operation: self.operation,
            target: &self.target,
            outcome,
            status,
            latency_ms: elapsed_ms(self.started),
            detail,
        };
        TenantRows::new(&mut self.tx, &self.tenant)
            .journal(line)
            .await
            .map_err(internal)?;
        self.tx.commit().await.map_err(internal)
    }

    /// Ends a check-then-create call: `created` (201) or `already_exists` with Microsoft's
    /// message for it, journaled with `exists_status`.
    pub async fn applied(
        self,
        created: bool,
        created_message: String,
        exists_message: String,
        exists_status: u16,
    ) -> Result<Applied, MicrosoftError> {
        if created {
            self.finish("created", 201, Some(&created_message)).await?;
            Ok(Applied::Created(created_message))
        } else {
            self.finish("already_exists", exists_status, Some(&exists_message))
                .await?;
            Ok(Applied::AlreadyExists(exists_message))
        }
    }

    /// Journals a refusal (keeping what the call wrote, e.g. a throttling counter) and
    /// returns it.
    pub async fn refuse(self, outcome: &str, status: u16, error: MicrosoftError) -> MicrosoftError {
        match self.finish(outcome, status, Some(error.message())).await {
            Ok(()) => error,
            Err(storage) => storage,
        }
    }
}

/// Milliseconds since `started`, as the journal keeps a call's latency.
pub(super) fn elapsed_ms(started: Instant) -> u32 {
    u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX)
}

pub(super) fn internal(error: impl std::fmt::Display) -> MicrosoftError {
    MicrosoftError::Internal(format!("simulator storage: {error}"))
}
