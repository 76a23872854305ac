//! The UI's `Backend`: what the server functions call. Each method authenticates the
//! session cookie's token once, parses input with the same domain types as the REST
//! routes, and calls the same domain service; a mutating call of a signed-in caller is
//! audited as the REST API's are (with what it acted on, parsed), anonymous refusals
//! only counted. An `AppError` becomes the UI's error.

use std::future::Future;

use app::{
    api_types::{
        ApplicationRequest, CurrentUser, FileDownload, LinkSource, MintedCredentials,
        MsTeamsAdminRemoval, MsTeamsAdminRequest, NewSimTenant, ResetSecretRequest, SimFault,
        SimJournalEntry, SimMail, SimTenantDetail, SimTenantSummary, TwoFactorOption,
        VoiceRoutingStatus, WizardView,
    },
    backend::{
        Backend, Browser, ClientAddress, Overview, Session, SignInResult, SignedIn, SubRef,
        SubscriptionPage, UiCall, UiError,
    },
};
use async_trait::async_trait;

use crate::{
    api::{audit::record_call, problem},
    domain::{
        AppError, Caller,
        accounts::{Device, SecondFactorAnswer, Session as AccountSession, SignIn, current_user},
        onboarding::{AdministratorChange, AdministratorRemoval, ApplicationInput},
        types::{
            ApplicationId, DraasInstance, MsTenantId, SearchText, Secret, SubscriptionId,
            SubscriptionPath, TenantUuid,
        },
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
            tenant: TenantUuid::from(at.tenant),
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
    async fn act<T, F, Fut>(&self, call: UiCall, target: Target, work: F) -> Result<T, UiError>
    where
        F: FnOnce(Caller) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let (username, result) = match self.caller(call.session).await {
            Ok(caller) => (Some(caller.username.clone()), work(caller).await),
            Err(error) => (None, Err(error)),
        };
        self.audit(username.as_deref(), call.operation, target, &result)
            .await;
        result.map_err(ui)
    }

    /// A mutating call on the subscription `at`, with its `input` parsed: authenticate,
    /// then refuse bad input, then an invalid path, then `work`; audited.
    async fn act_on<I, T, F, Fut>(
        &self,
        call: UiCall,
        at: SubRef,
        input: Result<I, AppError>,
        work: F,
    ) -> Result<T, UiError>
    where
        F: FnOnce(Caller, SubscriptionPath, I) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        self.act(call, Target::Subscription(at), |caller| async move {
            let input = input?;
            let path = Self::path(&caller, at)?;
            work(caller, path, input).await
        })
        .await
    }

    /// A reading call on the subscription `at`.
    async fn read_on<T, F, Fut>(&self, call: UiCall, at: SubRef, work: F) -> Result<T, UiError>
    where
        F: FnOnce(Caller, SubscriptionPath) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        self.read(call.session, |caller| async move {
            let path = Self::path(&caller, at)?;
            work(caller, path).await
        })
        .await
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

/// The UI's form of an error. A fault of ours travels to the edge's log with the
/// response (`problem::FAULT_HEADER`), which logs it once, as for the REST API.
fn ui(error: AppError) -> UiError {
    if error.is_internal()
        && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
    {
        response.insert_header(
            axum::http::HeaderName::from_static(problem::FAULT_HEADER),
            problem::Fault::of(&error).header_value(),
        );
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

    async fn me(&self, call: UiCall) -> Result<Option<CurrentUser>, UiError> {
        if call.session.is_none() {
            return Ok(None);
        }
        let user = self
            .read(
                call.session,
                |caller| async move { Ok(current_user(&caller)) },
            )
            .await;
        match user {
            Ok(user) => Ok(Some(user)),
            Err(error) if error.unauthenticated() => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn tenant_overview(
        &self,
        call: UiCall,
        page: u32,
        search: String,
    ) -> Result<Overview, UiError> {
        self.read(call.session, |caller| async move {
            let instance = DraasInstance::parse(&caller.instance_slug)?;
            let search = SearchText::parse(&search)?;
            self.state
                .directory
                .overview(&caller, &instance, page, PAGE_SIZE, search)
                .await
        })
        .await
    }

    async fn subscription(&self, call: UiCall, at: SubRef) -> Result<SubscriptionPage, UiError> {
        self.read_on(call, at, |caller, path| async move {
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

    async fn wizard(&self, call: UiCall, at: SubRef) -> Result<WizardView, UiError> {
        self.read_on(call, at, |caller, path| async move {
            let progress = self.state.wizard.state(&caller, &path).await;
            progress.map(WizardView::from)
        })
        .await
    }

    async fn start_wizard(&self, call: UiCall, at: SubRef) -> Result<i64, UiError> {
        self.act_on(call, at, Ok(()), |caller, path, ()| async move {
            self.state.wizard.start(&caller, &path).await
        })
        .await
    }

    async fn create_app(&self, call: UiCall, at: SubRef) -> Result<FileDownload, UiError> {
        self.act_on(call, at, Ok(()), |caller, path, ()| async move {
            let onboarding = &self.state.onboarding;
            let script = onboarding.create_app_script(&caller, &path).await;
            script.map(FileDownload::from)
        })
        .await
    }

    async fn set_application(
        &self,
        call: UiCall,
        at: SubRef,
        body: ApplicationRequest,
    ) -> Result<(), UiError> {
        let input = ApplicationInput::parse(body);
        self.act_on(call, at, input, |caller, path, input| async move {
            let onboarding = &self.state.onboarding;
            onboarding.set_application(&caller, &path, input).await
        })
        .await
    }

    async fn store_administrator(
        &self,
        call: UiCall,
        at: SubRef,
        body: MsTeamsAdminRequest,
    ) -> Result<(), UiError> {
        let change = AdministratorChange::parse(body);
        self.act_on(call, at, change, |caller, path, change| async move {
            let onboarding = &self.state.onboarding;
            onboarding.store_administrator(&caller, &path, change).await
        })
        .await
    }

    async fn remove_administrator(
        &self,
        call: UiCall,
        at: SubRef,
        body: MsTeamsAdminRemoval,
    ) -> Result<(), UiError> {
        let removal = AdministratorRemoval::parse(body);
        self.act_on(call, at, removal, |caller, path, removal| async move {
            let onboarding = &self.state.onboarding;
            onboarding
                .remove_administrator(&caller, &path, removal)
                .await
        })
        .await
    }

    async fn reset_secret(
        &self,
        call: UiCall,
        at: SubRef,
        body: ResetSecretRequest,
    ) -> Result<(), UiError> {
        let input = ApplicationId::parse(&body.application_id)
            .and_then(|id| Ok((id, Secret::parse("secret", body.secret)?)));
        self.act_on(call, at, input, |caller, path, (id, secret)| async move {
            let onboarding = &self.state.onboarding;
            onboarding.reset_secret(&caller, &path, id, secret).await
        })
        .await
    }

    async fn update_vrp(&self, call: UiCall, at: SubRef) -> Result<VoiceRoutingStatus, UiError> {
        self.act_on(call, at, Ok(()), |caller, path, ()| async move {
            self.state.onboarding.update_vrp(&caller, &path).await
        })
        .await
    }

    async fn sources(&self, call: UiCall, at: SubRef) -> Result<Vec<LinkSource>, UiError> {
        self.read_on(call, at, |caller, path| async move {
            self.state.onboarding.sources(&caller, &path).await
        })
        .await
    }

    async fn link(&self, call: UiCall, at: SubRef, source: i64) -> Result<(), UiError> {
        let source = SubscriptionId::from_body(source);
        self.act_on(call, at, source, |caller, path, source| async move {
            self.state.onboarding.link(&caller, &path, source).await
        })
        .await
    }

    async fn unlink(&self, call: UiCall, at: SubRef) -> Result<(), UiError> {
        self.act_on(call, at, Ok(()), |caller, path, ()| async move {
            self.state.onboarding.unlink(&caller, &path).await
        })
        .await
    }

    async fn sim_tenants(&self, call: UiCall) -> Result<Vec<SimTenantSummary>, UiError> {
        self.read(call.session, |caller| async move {
            self.state.simulator.tenants(&caller).await
        })
        .await
    }

    async fn sim_tenant(&self, call: UiCall, id: String) -> Result<SimTenantDetail, UiError> {
        self.read(call.session, |caller| async move {
            let id = MsTenantId::parse(&id)?;
            self.state.simulator.tenant(&caller, id).await
        })
        .await
    }

    async fn sim_set_faults(
        &self,
        call: UiCall,
        id: String,
        faults: Vec<SimFault>,
    ) -> Result<(), UiError> {
        let id = MsTenantId::parse(&id).map_err(ui)?;
        self.act(call, Target::Simulated(id), |caller| async move {
            self.state
                .simulator
                .set_faults(&caller, id, &faults)
                .await?;
            Ok(())
        })
        .await
    }

    async fn sim_create_app(&self, call: UiCall, id: String) -> Result<MintedCredentials, UiError> {
        let id = MsTenantId::parse(&id).map_err(ui)?;
        self.act(call, Target::Simulated(id), |caller| async move {
            self.state.simulator.run_create_app(&caller, id).await
        })
        .await
    }

    async fn sim_journal(&self, call: UiCall, id: String) -> Result<Vec<SimJournalEntry>, UiError> {
        self.read(call.session, |caller| async move {
            let id = MsTenantId::parse(&id)?;
            self.state.simulator.journal(&caller, id, 200).await
        })
        .await
    }

    async fn sim_outbox(&self, call: UiCall) -> Result<Vec<SimMail>, UiError> {
        self.read(call.session, |caller| async move {
            self.state.simulator.outbox(&caller, 20).await
        })
        .await
    }

    async fn sim_create_tenant(
        &self,
        call: UiCall,
        body: NewSimTenant,
    ) -> Result<SimTenantDetail, UiError> {
        self.act(call, Target::None, |caller| async move {
            self.state.simulator.create_tenant(&caller, body).await
        })
        .await
    }

    async fn mock_reset(&self, call: UiCall) -> Result<(), UiError> {
        self.act(call, Target::None, |caller| async move {
            self.state.mock.reset(&caller).await
        })
        .await
    }
}
