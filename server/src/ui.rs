//! The UI's `Backend`: what the server functions call. Each method authenticates the
//! session cookie's token once, parses input with the same domain types as the REST
//! routes, and calls the same domain service; a mutating call of a signed-in caller is
//! audited as the REST API's are (with what it acted on, parsed), anonymous refusals
//! only counted. An `AppError` becomes the UI's error.

use std::future::Future;

use app::{
    api_types::{
        ApplicationRequest, CurrentUser, FileDownload, LinkSource, MintedCredentials,
        MsTeamsAdminRemoval, MsTeamsAdminRequest, ResetSecretRequest, SimFault, SimJournalEntry,
        SimMail, SimTenantDetail, SimTenantSummary, TwoFactorOption, VoiceRoutingStatus,
    },
    backend::{
        Backend, Browser, ClientAddress, Overview, Session, SignInResult, SignedIn, SubRef,
        SubscriptionPage, TenantWithSubscriptions, UiError, WizardView,
    },
};
use async_trait::async_trait;

use crate::{
    api::audit::record_call,
    domain::{
        AppError, Caller,
        accounts::{Device, SecondFactorAnswer, Session as AccountSession, SignIn, current_user},
        listing::{ListQuery, MAX_PAGE_SIZE, NodeSort, SubscriptionSort},
        onboarding::{AdministratorChange, AdministratorRemoval, ApplicationInput},
        types::{
            ApplicationId, DraasInstance, MsTenantId, SearchText, Secret, SubscriptionId,
            SubscriptionPath, TenantUuid,
        },
        wizard::WizardReport,
    },
    state::AppState,
    store::{
        accounts::{SessionKind, TokenKind},
        audit::AuditEntry,
    },
};

/// Tenants per page on the home page.
const PAGE_SIZE: u32 = 10;

pub struct UiBackend {
    state: AppState,
}

/// What a mutating UI call acted on, for the audit log.
enum Target {
    None,
    Subscription(SubRef),
    Simulated(MsTenantId),
}

impl UiBackend {
    pub fn new(state: AppState) -> Self {
        UiBackend { state }
    }

    async fn caller(&self, session: Session) -> Result<Caller, AppError> {
        let token = session.ok_or_else(|| {
            AppError::Unauthenticated("Not signed in: sign in to continue".into())
        })?;
        self.state
            .accounts
            .authenticate(&token, TokenKind::Cookie)
            .await
    }

    fn path(caller: &Caller, at: SubRef) -> Result<SubscriptionPath, AppError> {
        Ok(SubscriptionPath {
            instance: DraasInstance::parse(&caller.instance_slug)?,
            tenant: TenantUuid(at.tenant),
            subscription: SubscriptionId::from_body(at.subscription)?,
        })
    }

    /// A reading call: authenticate, then `work`.
    async fn read<T, F, Fut>(&self, session: Session, work: F) -> Result<T, UiError>
    where
        F: FnOnce(Caller) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        match self.caller(session).await {
            Ok(caller) => work(caller).await.map_err(ui),
            Err(error) => Err(ui(error)),
        }
    }

    /// A mutating call: authenticate, `work`, and record who did what with which outcome.
    async fn act<T, F, Fut>(
        &self,
        session: Session,
        operation: &str,
        target: Target,
        work: F,
    ) -> Result<T, UiError>
    where
        F: FnOnce(Caller) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let (username, result) = match self.caller(session).await {
            Ok(caller) => (Some(caller.username.clone()), work(caller).await),
            Err(error) => (None, Err(error)),
        };
        self.audit(username.as_deref(), operation, target, &result)
            .await;
        result.map_err(ui)
    }

    /// Records a mutating UI call of a signed-in caller as the REST API's audit middleware
    /// records its calls: who, what, when, outcome; never a body. Anonymous ones are only
    /// counted.
    async fn audit<T>(
        &self,
        username: Option<&str>,
        operation: &str,
        target: Target,
        result: &Result<T, AppError>,
    ) {
        let status = match result {
            Ok(_) => 200,
            Err(error) => error.status().as_u16(),
        };
        let path = match target {
            Target::None => format!("/ui/{operation}"),
            Target::Subscription(at) => format!(
                "/ui/{operation} tenants/{}/subscriptions/{}",
                at.tenant, at.subscription
            ),
            Target::Simulated(id) => format!("/ui/{operation} sim/tenants/{id}"),
        };
        let entry = AuditEntry {
            username,
            method: "POST",
            path: &path,
            status,
        };
        record_call(&self.state, entry).await;
    }
}

/// The device a browser's sign-in comes from.
fn device(browser: Browser) -> Device {
    Device::new(
        browser.address.map(|ClientAddress(address)| address),
        &browser.user_agent,
    )
}

/// A session opened through the form: the browser keeps the refresh token in its cookie
/// (the access token is for scripts), for as long as the sign-in lasts.
fn signed_in_with(session: AccountSession) -> SignedIn {
    SignedIn {
        cookie_token: session.refresh_token,
        expires_at: session.refresh_expires_at,
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
    async fn login(
        &self,
        username: String,
        password: String,
        browser: Browser,
    ) -> Result<SignInResult, UiError> {
        let result = self
            .state
            .accounts
            .login(&username, &password, &device(browser), SessionKind::Browser)
            .await;
        let signed_in = match &result {
            Ok(SignIn::Session(session)) => Some(session.caller.username.clone()),
            _ => None,
        };
        self.audit(signed_in.as_deref(), "login", Target::None, &result)
            .await;
        Ok(match result.map_err(ui)? {
            SignIn::Session(session) => SignInResult::SignedIn(signed_in_with(*session)),
            SignIn::SecondFactor(challenge) => SignInResult::SecondFactor(challenge),
        })
    }

    async fn second_factor(
        &self,
        option: TwoFactorOption,
        payload: String,
        code: String,
        trust: bool,
        browser: Browser,
    ) -> Result<SignedIn, UiError> {
        let result = self
            .state
            .accounts
            .second_factor(
                SecondFactorAnswer {
                    option,
                    payload: &payload,
                    code: &code,
                    trust,
                },
                &device(browser),
                SessionKind::Browser,
            )
            .await;
        let signed_in = result.as_ref().ok().map(|s| s.caller.username.clone());
        self.audit(signed_in.as_deref(), "second_factor", Target::None, &result)
            .await;
        result.map(signed_in_with).map_err(ui)
    }

    async fn logout(&self, session: Session) -> Result<(), UiError> {
        let Some(token) = session else {
            return Ok(());
        };
        // Signing out works with an expired session too: it only ends it.
        let result = self.state.accounts.logout(&token).await;
        let username = result.as_ref().ok().cloned().flatten();
        self.audit(username.as_deref(), "logout", Target::None, &result)
            .await;
        result.map(drop).map_err(ui)
    }

    async fn me(&self, session: Session) -> Result<CurrentUser, UiError> {
        self.read(session, |caller| async move { Ok(current_user(&caller)) })
            .await
    }

    async fn overview(
        &self,
        session: Session,
        page: u32,
        search: String,
    ) -> Result<Overview, UiError> {
        self.read(session, |caller| async move {
            let instance = DraasInstance::parse(&caller.instance_slug)?;
            let directory = &self.state.directory;
            let query = ListQuery::<NodeSort>::page(page, PAGE_SIZE, SearchText::parse(&search)?);
            // The lists answer 404 when they find nothing: here that is an empty page.
            let tenants = match directory.tenants(&caller, &instance, &query).await {
                Ok(tenants) => tenants,
                Err(AppError::NotFound(_)) => {
                    return Ok(Overview {
                        results: 0,
                        pages: 0,
                        page: page.max(1),
                        tenants: Vec::new(),
                    });
                }
                Err(error) => return Err(error),
            };
            // Every subscription of a tenant fits one page.
            let all = ListQuery::<SubscriptionSort>::page(1, MAX_PAGE_SIZE, SearchText::default());
            let mut rows = Vec::with_capacity(tenants.tenants.len());
            for tenant in tenants.tenants {
                let subscriptions = match directory
                    .subscriptions(&caller, &instance, TenantUuid(tenant.uuid), &all)
                    .await
                {
                    Ok(list) => list.subscriptions,
                    Err(AppError::NotFound(_)) => Vec::new(),
                    Err(error) => return Err(error),
                };
                rows.push(TenantWithSubscriptions {
                    tenant,
                    subscriptions,
                });
            }
            Ok(Overview {
                results: tenants.results,
                pages: tenants.pages,
                page: tenants.page,
                tenants: rows,
            })
        })
        .await
    }

    async fn subscription(
        &self,
        session: Session,
        at: SubRef,
    ) -> Result<SubscriptionPage, UiError> {
        self.read(session, |caller| async move {
            let path = Self::path(&caller, at)?;
            let (tenant_name, subscription) = self
                .state
                .directory
                .subscription_summary(&caller, &path)
                .await?;
            let status = match self.state.onboarding.status(&caller, &path).await {
                Ok(status) => Some(status),
                Err(AppError::NotFound(_)) => None,
                Err(error) => return Err(error),
            };
            let administrator = match self.state.onboarding.administrator(&caller, &path).await {
                Ok(administrator) => Some(administrator),
                Err(AppError::Forbidden(_)) => None,
                Err(error) => return Err(error),
            };
            Ok(SubscriptionPage {
                tenant_name,
                subscription,
                status,
                administrator,
            })
        })
        .await
    }

    async fn wizard(&self, session: Session, at: SubRef) -> Result<WizardView, UiError> {
        self.read(session, |caller| async move {
            let path = Self::path(&caller, at)?;
            Ok(match self.state.wizard.state(&caller, &path).await? {
                WizardReport::NotStarted(detail) => WizardView::NotStarted(detail),
                WizardReport::Active(state) => WizardView::Active(state),
                WizardReport::Failed(failure) => WizardView::Failed(failure),
            })
        })
        .await
    }

    async fn start_wizard(&self, session: Session, at: SubRef) -> Result<i64, UiError> {
        let target = Target::Subscription(at);
        self.act(session, "start_wizard", target, |caller| async move {
            let path = Self::path(&caller, at)?;
            self.state.wizard.start(&caller, &path).await
        })
        .await
    }

    async fn create_app(&self, session: Session, at: SubRef) -> Result<FileDownload, UiError> {
        let target = Target::Subscription(at);
        self.act(session, "create_app", target, |caller| async move {
            let path = Self::path(&caller, at)?;
            self.state
                .onboarding
                .create_app_script(&caller, &path)
                .await
        })
        .await
    }

    async fn set_application(
        &self,
        session: Session,
        at: SubRef,
        body: ApplicationRequest,
    ) -> Result<(), UiError> {
        let target = Target::Subscription(at);
        self.act(session, "set_application", target, |caller| async move {
            let input = ApplicationInput::parse(body)?;
            let path = Self::path(&caller, at)?;
            self.state
                .onboarding
                .set_application(&caller, &path, input)
                .await
        })
        .await
    }

    async fn store_administrator(
        &self,
        session: Session,
        at: SubRef,
        body: MsTeamsAdminRequest,
    ) -> Result<(), UiError> {
        let target = Target::Subscription(at);
        self.act(
            session,
            "store_administrator",
            target,
            |caller| async move {
                let change = AdministratorChange::parse(body)?;
                let path = Self::path(&caller, at)?;
                self.state
                    .onboarding
                    .store_administrator(&caller, &path, change)
                    .await
            },
        )
        .await
    }

    async fn remove_administrator(
        &self,
        session: Session,
        at: SubRef,
        body: MsTeamsAdminRemoval,
    ) -> Result<(), UiError> {
        let target = Target::Subscription(at);
        self.act(
            session,
            "remove_administrator",
            target,
            |caller| async move {
                let removal = AdministratorRemoval::parse(body)?;
                let path = Self::path(&caller, at)?;
                self.state
                    .onboarding
                    .remove_administrator(&caller, &path, removal)
                    .await
            },
        )
        .await
    }

    async fn reset_secret(
        &self,
        session: Session,
        at: SubRef,
        body: ResetSecretRequest,
    ) -> Result<(), UiError> {
        let target = Target::Subscription(at);
        self.act(session, "reset_secret", target, |caller| async move {
            let application_id = ApplicationId::parse(&body.application_id)?;
            let secret = Secret::parse("secret", body.secret)?;
            let path = Self::path(&caller, at)?;
            self.state
                .onboarding
                .reset_secret(&caller, &path, application_id, secret)
                .await
        })
        .await
    }

    async fn update_vrp(
        &self,
        session: Session,
        at: SubRef,
    ) -> Result<VoiceRoutingStatus, UiError> {
        let target = Target::Subscription(at);
        self.act(session, "update_vrp", target, |caller| async move {
            let path = Self::path(&caller, at)?;
            self.state.onboarding.update_vrp(&caller, &path).await
        })
        .await
    }

    async fn sources(&self, session: Session, at: SubRef) -> Result<Vec<LinkSource>, UiError> {
        self.read(session, |caller| async move {
            let path = Self::path(&caller, at)?;
            self.state.onboarding.sources(&caller, &path).await
        })
        .await
    }

    async fn link(&self, session: Session, at: SubRef, source: i64) -> Result<(), UiError> {
        let target = Target::Subscription(at);
        self.act(session, "link", target, |caller| async move {
            let source = SubscriptionId::from_body(source)?;
            let path = Self::path(&caller, at)?;
            self.state.onboarding.link(&caller, &path, source).await
        })
        .await
    }

    async fn unlink(&self, session: Session, at: SubRef) -> Result<(), UiError> {
        let target = Target::Subscription(at);
        self.act(session, "unlink", target, |caller| async move {
            let path = Self::path(&caller, at)?;
            self.state.onboarding.unlink(&caller, &path).await
        })
        .await
    }

    async fn sim_tenants(&self, session: Session) -> Result<Vec<SimTenantSummary>, UiError> {
        self.read(session, |caller| async move {
            self.state.simulator.tenants(&caller).await
        })
        .await
    }

    async fn sim_tenant(&self, session: Session, id: String) -> Result<SimTenantDetail, UiError> {
        self.read(session, |caller| async move {
            let id = MsTenantId::parse(&id)?;
            self.state.simulator.tenant(&caller, id).await
        })
        .await
    }

    async fn sim_set_faults(
        &self,
        session: Session,
        id: String,
        faults: Vec<SimFault>,
    ) -> Result<(), UiError> {
        let id = MsTenantId::parse(&id).map_err(ui)?;
        self.act(
            session,
            "sim_set_faults",
            Target::Simulated(id),
            |caller| async move {
                self.state
                    .simulator
                    .set_faults(&caller, id, &faults)
                    .await?;
                Ok(())
            },
        )
        .await
    }

    async fn sim_create_app(
        &self,
        session: Session,
        id: String,
    ) -> Result<MintedCredentials, UiError> {
        let id = MsTenantId::parse(&id).map_err(ui)?;
        self.act(
            session,
            "sim_create_app",
            Target::Simulated(id),
            |caller| async move { self.state.simulator.run_create_app(&caller, id).await },
        )
        .await
    }

    async fn sim_journal(
        &self,
        session: Session,
        id: String,
    ) -> Result<Vec<SimJournalEntry>, UiError> {
        self.read(session, |caller| async move {
            let id = MsTenantId::parse(&id)?;
            self.state.simulator.journal(&caller, id, 200).await
        })
        .await
    }

    async fn sim_outbox(&self, session: Session) -> Result<Vec<SimMail>, UiError> {
        self.read(session, |caller| async move {
            self.state.simulator.outbox(&caller, 20).await
        })
        .await
    }
}
