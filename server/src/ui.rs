//! The UI's `Backend`: what the server functions call. Each method authenticates the
//! session cookie's token, parses input with the same domain types as the REST routes,
//! and calls the same domain service; an `AppError` becomes the UI's error.

use app::{
    api_types::{
        AdministratorRequest, ApplicationRequest, CurrentUser, FileDownload, LinkSource,
        LoginResponse, MintedCredentials, ResetSecretRequest, SimFault, SimJournalEntry,
        SimTenantDetail, SimTenantSummary, VoiceRoutingStatus,
    },
    backend::{
        Backend, Overview, Session, SubRef, SubscriptionPage, TenantWithSubscriptions, UiError,
        WizardView,
    },
};
use async_trait::async_trait;

use crate::{
    domain::{
        AppError, Caller,
        accounts::current_user,
        onboarding::ApplicationInput,
        types::{
            AdminUpn, ApplicationId, DraasInstance, MsTenantId, PageRequest, Secret,
            SubscriptionId, SubscriptionPath, TenantUuid,
        },
        wizard::WizardReport,
    },
    state::AppState,
    store::audit::{self, AuditEntry},
};

/// Tenants per page on the home page.
const PAGE_SIZE: u32 = 10;

pub struct UiBackend {
    state: AppState,
}

impl UiBackend {
    pub fn new(state: AppState) -> Self {
        UiBackend { state }
    }

    async fn caller(&self, session: Session) -> Result<Caller, AppError> {
        let token = session.ok_or_else(|| {
            AppError::Unauthenticated("Not signed in: sign in to continue".into())
        })?;
        self.state.accounts.authenticate(&token).await
    }

    fn path(caller: &Caller, at: SubRef) -> Result<SubscriptionPath, AppError> {
        Ok(SubscriptionPath {
            instance: DraasInstance::parse(&caller.instance_slug)?,
            tenant: TenantUuid(at.tenant),
            subscription: SubscriptionId(at.subscription),
        })
    }
}

/// What a mutating UI call acted on, for the audit log.
enum Target<'a> {
    None,
    Subscription(SubRef),
    Simulated(&'a str),
}

impl UiBackend {
    /// Records a mutating UI call as the REST API's audit middleware records its calls:
    /// who, what, when, outcome; never a body.
    async fn audit<T>(
        &self,
        session: Session,
        operation: &str,
        target: Target<'_>,
        result: &Result<T, AppError>,
    ) {
        let username = match session {
            Some(token) => self
                .state
                .accounts
                .authenticate(&token)
                .await
                .ok()
                .map(|caller| caller.username),
            None => None,
        };
        self.audit_as(username.as_deref(), operation, target, result)
            .await;
    }

    async fn audit_as<T>(
        &self,
        username: Option<&str>,
        operation: &str,
        target: Target<'_>,
        result: &Result<T, AppError>,
    ) {
        let path = match target {
            Target::None => format!("/ui/{operation}"),
            Target::Subscription(at) => format!(
                "/ui/{operation} tenants/{}/subscriptions/{}",
                at.tenant, at.subscription
            ),
            Target::Simulated(id) => format!("/ui/{operation} sim/tenants/{id}"),
        };
        let status = match result {
            Ok(_) => 200,
            Err(error) => error.status().as_u16(),
        };
        let entry = AuditEntry {
            username,
            method: "POST",
            path: &path,
            status,
        };
        if let Err(error) = audit::record(&self.state.db, entry).await {
            tracing::error!(%error, "audit log write failed");
        }
    }
}

fn ui(error: AppError) -> UiError {
    if let AppError::Internal(message) = &error {
        tracing::error!(%message, "UI call failed");
    }
    let problem = error.to_problem();
    UiError {
        status: problem.status,
        code: problem.code,
        detail: problem.detail,
    }
}

#[async_trait]
impl Backend for UiBackend {
    async fn login(&self, username: String, password: String) -> Result<LoginResponse, UiError> {
        let session = self.state.accounts.login(&username, &password).await;
        self.audit_as(Some(username.trim()), "login", Target::None, &session)
            .await;
        let session = session.map_err(ui)?;
        Ok(LoginResponse {
            user: current_user(&session.caller),
            token: session.token,
            expires_at: session.expires_at,
        })
    }

    async fn logout(&self, session: Session) -> Result<(), UiError> {
        let actor = session.clone();
        let result = match session {
            Some(token) => self.state.accounts.logout(&token).await,
            None => Ok(()),
        };
        self.audit(actor, "logout", Target::None, &result).await;
        result.map_err(ui)
    }

    async fn me(&self, session: Session) -> Result<CurrentUser, UiError> {
        let caller = self.caller(session).await.map_err(ui)?;
        Ok(current_user(&caller))
    }

    async fn overview(
        &self,
        session: Session,
        page: u32,
        search: String,
    ) -> Result<Overview, UiError> {
        async {
            let caller = self.caller(session).await?;
            let instance = DraasInstance::parse(&caller.instance_slug)?;
            let directory = &self.state.directory;
            let request = PageRequest {
                page: page.max(1),
                size: PAGE_SIZE,
            };
            let tenants = directory
                .tenants(&caller, &instance, request, &search)
                .await?;
            let mut results = Vec::with_capacity(tenants.results.len());
            for tenant in tenants.results {
                let all = PageRequest {
                    page: 1,
                    size: PageRequest::MAX_SIZE,
                };
                let subscriptions = directory
                    .subscriptions(&caller, &instance, TenantUuid(tenant.uuid), all)
                    .await?
                    .results;
                results.push(TenantWithSubscriptions {
                    tenant,
                    subscriptions,
                });
            }
            Ok(Overview {
                results,
                pages: tenants.pages,
                page: tenants.page,
                size: tenants.size,
                total: tenants.total,
            })
        }
        .await
        .map_err(ui)
    }

    async fn subscription(
        &self,
        session: Session,
        at: SubRef,
    ) -> Result<SubscriptionPage, UiError> {
        async {
            let caller = self.caller(session).await?;
            let path = Self::path(&caller, at)?;
            let record = self.state.directory.subscription(&caller, &path).await?;
            let all = PageRequest {
                page: 1,
                size: PageRequest::MAX_SIZE,
            };
            let subscription = self
                .state
                .directory
                .subscriptions(&caller, &path.instance, path.tenant, all)
                .await?
                .results
                .into_iter()
                .find(|s| s.id == record.id)
                .ok_or_else(AppError::subscription_not_found)?;
            let status = match self.state.onboarding.status(&caller, &path).await {
                Ok(status) => Some(status),
                Err(AppError::NotFound(_)) => None,
                Err(error) => return Err(error),
            };
            Ok(SubscriptionPage {
                tenant_name: record.tenant_name,
                subscription,
                status,
            })
        }
        .await
        .map_err(ui)
    }

    async fn wizard(&self, session: Session, at: SubRef) -> Result<WizardView, UiError> {
        async {
            let caller = self.caller(session).await?;
            let path = Self::path(&caller, at)?;
            match self.state.wizard.state(&caller, &path).await {
                Ok(WizardReport::Active(state)) => Ok(WizardView::Active(state)),
                Ok(WizardReport::Failed(failure)) => Ok(WizardView::Failed(failure)),
                Err(AppError::NotFound(detail)) => {
                    // 404 is also "outside your tree"; tell them apart by the subscription.
                    self.state.directory.subscription(&caller, &path).await?;
                    Ok(WizardView::NotStarted(detail))
                }
                Err(error) => Err(error),
            }
        }
        .await
        .map_err(ui)
    }

    async fn start_wizard(&self, session: Session, at: SubRef) -> Result<i64, UiError> {
        let actor = session.clone();
        let result = async {
            let caller = self.caller(session).await?;
            self.state
                .wizard
                .start(&caller, &Self::path(&caller, at)?)
                .await
        }
        .await;
        self.audit(actor, "start_wizard", Target::Subscription(at), &result)
            .await;
        result.map_err(ui)
    }

    async fn create_app(&self, session: Session, at: SubRef) -> Result<FileDownload, UiError> {
        let actor = session.clone();
        let result = async {
            let caller = self.caller(session).await?;
            self.state
                .onboarding
                .create_app_script(&caller, &Self::path(&caller, at)?)
                .await
        }
        .await;
        self.audit(actor, "create_app", Target::Subscription(at), &result)
            .await;
        result.map_err(ui)
    }

    async fn set_application(
        &self,
        session: Session,
        at: SubRef,
        body: ApplicationRequest,
    ) -> Result<(), UiError> {
        let actor = session.clone();
        let result = async {
            let caller = self.caller(session).await?;
            let input = ApplicationInput::parse(body)?;
            self.state
                .onboarding
                .set_application(&caller, &Self::path(&caller, at)?, input)
                .await
        }
        .await;
        self.audit(actor, "set_application", Target::Subscription(at), &result)
            .await;
        result.map_err(ui)
    }

    async fn set_administrator(
        &self,
        session: Session,
        at: SubRef,
        body: AdministratorRequest,
    ) -> Result<(), UiError> {
        let actor = session.clone();
        let result = async {
            let caller = self.caller(session).await?;
            let username = AdminUpn::parse(&body.username)?;
            let password = Secret::parse("password", body.password)?;
            self.state
                .onboarding
                .set_administrator(&caller, &Self::path(&caller, at)?, username, password)
                .await
        }
        .await;
        self.audit(
            actor,
            "set_administrator",
            Target::Subscription(at),
            &result,
        )
        .await;
        result.map_err(ui)
    }

    async fn reset_secret(
        &self,
        session: Session,
        at: SubRef,
        body: ResetSecretRequest,
    ) -> Result<(), UiError> {
        let actor = session.clone();
        let result = async {
            let caller = self.caller(session).await?;
            let application_id = ApplicationId::parse(&body.application_id)?;
            let secret = Secret::parse("secret", body.secret)?;
            self.state
                .onboarding
                .reset_secret(&caller, &Self::path(&caller, at)?, application_id, secret)
                .await
        }
        .await;
        self.audit(actor, "reset_secret", Target::Subscription(at), &result)
            .await;
        result.map_err(ui)
    }

    async fn update_vrp(
        &self,
        session: Session,
        at: SubRef,
    ) -> Result<VoiceRoutingStatus, UiError> {
        let actor = session.clone();
        let result = async {
            let caller = self.caller(session).await?;
            self.state
                .onboarding
                .update_vrp(&caller, &Self::path(&caller, at)?)
                .await
        }
        .await;
        self.audit(actor, "update_vrp", Target::Subscription(at), &result)
            .await;
        result.map_err(ui)
    }

    async fn sources(&self, session: Session, at: SubRef) -> Result<Vec<LinkSource>, UiError> {
        async {
            let caller = self.caller(session).await?;
            self.state
                .onboarding
                .sources(&caller, &Self::path(&caller, at)?)
                .await
        }
        .await
        .map_err(ui)
    }

    async fn link(&self, session: Session, at: SubRef, source: i64) -> Result<(), UiError> {
        let actor = session.clone();
        let result = async {
            let caller = self.caller(session).await?;
            let source = SubscriptionId::from_body(source)?;
            self.state
                .onboarding
                .link(&caller, &Self::path(&caller, at)?, source)
                .await
        }
        .await;
        self.audit(actor, "link", Target::Subscription(at), &result)
            .await;
        result.map_err(ui)
    }

    async fn unlink(&self, session: Session, at: SubRef) -> Result<(), UiError> {
        let actor = session.clone();
        let result = async {
            let caller = self.caller(session).await?;
            self.state
                .onboarding
                .unlink(&caller, &Self::path(&caller, at)?)
                .await
        }
        .await;
        self.audit(actor, "unlink", Target::Subscription(at), &result)
            .await;
        result.map_err(ui)
    }

    async fn sim_tenants(&self, session: Session) -> Result<Vec<SimTenantSummary>, UiError> {
        async {
            let caller = self.caller(session).await?;
            self.state.simulator.tenants(&caller).await
        }
        .await
        .map_err(ui)
    }

    async fn sim_tenant(&self, session: Session, id: String) -> Result<SimTenantDetail, UiError> {
        async {
            let caller = self.caller(session).await?;
            self.state
                .simulator
                .tenant(&caller, MsTenantId::parse(&id)?)
                .await
        }
        .await
        .map_err(ui)
    }

    async fn sim_set_faults(
        &self,
        session: Session,
        id: String,
        faults: Vec<SimFault>,
    ) -> Result<(), UiError> {
        let actor = session.clone();
        let result = async {
            let caller = self.caller(session).await?;
            self.state
                .simulator
                .set_faults(&caller, MsTenantId::parse(&id)?, &faults)
                .await
                .map(|_| ())
        }
        .await;
        self.audit(actor, "sim_set_faults", Target::Simulated(&id), &result)
            .await;
        result.map_err(ui)
    }

    async fn sim_create_app(
        &self,
        session: Session,
        id: String,
    ) -> Result<MintedCredentials, UiError> {
        let actor = session.clone();
        let result = async {
            let caller = self.caller(session).await?;
            self.state
                .simulator
                .run_create_app(&caller, MsTenantId::parse(&id)?)
                .await
        }
        .await;
        self.audit(actor, "sim_create_app", Target::Simulated(&id), &result)
            .await;
        result.map_err(ui)
    }

    async fn sim_journal(
        &self,
        session: Session,
        id: String,
    ) -> Result<Vec<SimJournalEntry>, UiError> {
        async {
            let caller = self.caller(session).await?;
            self.state
                .simulator
                .journal(&caller, MsTenantId::parse(&id)?, 200)
                .await
        }
        .await
        .map_err(ui)
    }
}
