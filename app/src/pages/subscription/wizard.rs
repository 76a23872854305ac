//! The onboarding wizard on screen: start it, watch its six steps (polling every two
//! seconds while it runs, stopping when it ends or the page is left), read a failure
//! and resume.

use std::time::Duration;

use leptos::prelude::*;

use super::{reload_done, voice::VoiceRoutingTable};
use crate::{
    api_types::{WIZARD_STEP_TEXTS, WizardStep, WizardView},
    backend::{SubRef, UiError},
    components::{ErrorNote, Loading, go_to},
    server_fns::start_wizard,
};

#[island]
pub fn Wizard(
    /// The DRaaS instance of the REST paths.
    instance: String,
    at: SubRef,
    start_reason: Option<String>,
    read_reason: Option<String>,
    running: bool,
) -> impl IntoView {
    let (tick, set_tick) = signal(0u32);
    // Whether to keep polling: the wizard runs, or was just started.
    let active = RwSignal::new(running);
    let now = RwSignal::new(chrono::Utc::now());
    let state = Resource::new(move || tick.get(), move |_| read(instance.clone(), at));
    let start = Action::new(move |_: &()| async move { start_wizard(at).await });

    Effect::new(move |_| {
        if let Some(Ok(_)) = start.value().get() {
            active.set(true);
            set_tick.update(|t| *t += 1);
        }
    });
    poll_while_active(now, active, set_tick);
    let start_button = start_button(start, start_reason);

    view! {
        <section class="card" aria-labelledby="wizard-title" data-testid="wizard">
            <h2 id="wizard-title">"3. Run the onboarding wizard"</h2>
            {move || start.value().get().and_then(|r| r.err()).map(|error| view! { <ErrorNote error /> })}
            {read_reason.map(|reason| view! { <p class="muted">{reason}</p> })}
            <Transition fallback=Loading>
                {move || {
                let start_button = start_button.clone();
                Suspend::new(async move {
                    let view = state.await;
                    follow(&view, active, at);
                    render(view, now, active.get_untracked(), start_button)
                })
                }}
            </Transition>
        </section>
    }
}

/// `GET …/msteams/wizard`: in the browser through the REST API itself (gloo-net), on the
/// server (the first render) through the same domain service.
async fn read(instance: String, at: SubRef) -> Result<WizardView, UiError> {
    #[cfg(feature = "hydrate")]
    {
        send_wrapper::SendWrapper::new(crate::rest::wizard(&instance, at)).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = instance;
        crate::server_fns::wizard(at).await
    }
}

/// Browser only (effects do not run on the server): one tick a second for the elapsed
/// time, a fetch every other second while the wizard is active. Leaving the page clears
/// the interval.
fn poll_while_active(
    now: RwSignal<chrono::DateTime<chrono::Utc>>,
    active: RwSignal<bool>,
    set_tick: WriteSignal<u32>,
) {
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                now.set(chrono::Utc::now());
                if active.get_untracked() && now.get_untracked().timestamp() % 2 == 0 {
                    set_tick.update(|t| *t += 1);
                }
            },
            Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
}

/// The start (or resume) button with its label, disabled with the reason when the
/// caller may not start the wizard, and while a start is on its way.
fn start_button(
    start: Action<(), Result<i64, UiError>>,
    start_reason: Option<String>,
) -> impl Clone + Fn(&'static str) -> AnyView {
    move |label: &'static str| {
        let disabled_reason = start_reason.clone();
        let blocked = disabled_reason.is_some();
        view! {
            <button type="button" class="primary" data-testid="start-wizard"
                disabled=move || blocked || start.pending().get()
                title=disabled_reason.clone()
                on:click=move |_| { start.dispatch(()); }>
                {label}
            </button>
            {disabled_reason.clone().map(|reason| view! { <p class="muted">{reason}</p> })}
        }
        .into_any()
    }
}

/// Follows the run as the server reports it: polling stops on an error (an ended
/// session goes to sign-in) and when a watched run ends (the page reloads, so the whole
/// page shows it); a run found running is polled.
fn follow(view: &Result<WizardView, UiError>, active: RwSignal<bool>, at: SubRef) {
    let running = matches!(view, Ok(WizardView::Active(s)) if s.running);
    let ended = matches!(view, Ok(WizardView::Active(s)) if !s.running)
        || matches!(view, Ok(WizardView::Failed(_)));
    if let Err(error) = view {
        active.set(false);
        if error.unauthenticated() {
            go_to(&format!(
                "/login?next=/tenants/{}/subscriptions/{}",
                at.tenant, at.subscription
            ));
        }
    } else if active.get_untracked() && ended {
        active.set(false);
        reload_done(at, "wizard");
    } else if running {
        active.set(true);
    }
}

fn render<B: IntoView>(
    view: Result<WizardView, UiError>,
    now: RwSignal<chrono::DateTime<chrono::Utc>>,
    active: bool,
    start_button: impl Fn(&'static str) -> B,
) -> AnyView {
    match view {
        Err(error) => view! { <ErrorNote error /> }.into_any(),
        Ok(WizardView::NotStarted(_)) if active => view! {
            <p class="muted" role="status" data-testid="wizard-preparing">"Preparing the onboarding (before step 0)…"</p>
            <Steps steps=placeholder_steps() now failed=None running=true />
        }
            .into_any(),
        Ok(WizardView::NotStarted(_)) => view! {
            <p data-testid="wizard-not-started">"The wizard has not run for this subscription yet."</p>
            {start_button("Start the wizard")}
        }
            .into_any(),
        Ok(WizardView::Active(state)) => {
            let status = state.wizard_steps.get(5).and_then(|s| s.status.clone());
            let summary = if state.running {
                "The wizard is running."
            } else {
                "The MS Teams tenant is onboarded."
            };
            view! {
                <p role="status" data-testid="wizard-summary">{summary}</p>
                <Steps steps=state.wizard_steps now failed=None running=state.running />
                {status.map(|status| view! { <h3>"Voice Routing Status"</h3> <VoiceRoutingTable status /> })}
            }
                .into_any()
        }
        Ok(WizardView::Failed(failure)) => {
            let status = failure.wizard_steps.get(5).and_then(|s| s.status.clone());
            view! {
                <div class="failure" role="alert" data-testid="wizard-failure">
                    <h3>{format!("The wizard stopped at step {}", failure.failed_step.unwrap_or_default())}</h3>
                    <p>{failure.detail.clone()}</p>
                    <p class="muted">"Fix the cause, then resume: executed steps are not redone."</p>
                    {start_button("Resume the wizard")}
                </div>
                <Steps steps=failure.wizard_steps now failed=failure.failed_step running=false />
                {status.map(|status| view! { <h3>"Voice Routing Status"</h3> <VoiceRoutingTable status /> })}
            }
                .into_any()
        }
    }
}

fn placeholder_steps() -> Vec<WizardStep> {
    // The server has not created the steps yet (preparation phase): show them pending.
    WIZARD_STEP_TEXTS
        .iter()
        .enumerate()
        .map(|(step, text)| WizardStep {
            step: step as u8,
            text: (*text).to_owned(),
            executed: false,
            status: None,
            started_at: None,
            executed_at: None,
        })
        .collect()
}

/// How a step shows: its CSS class (and `data-state`) and its label.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StepShown {
    Executed,
    Failed,
    Running,
    Pending,
}

impl StepShown {
    fn class_and_label(self) -> (&'static str, &'static str) {
        match self {
            StepShown::Executed => ("executed", "Done"),
            StepShown::Failed => ("failed", "Failed"),
            StepShown::Running => ("running", "Running"),
            StepShown::Pending => ("pending", "Pending"),
        }
    }
}

#[component]
fn Steps(
    steps: Vec<WizardStep>,
    now: RwSignal<chrono::DateTime<chrono::Utc>>,
    failed: Option<u8>,
    running: bool,
) -> impl IntoView {
    let current = steps.iter().find(|s| !s.executed).map(|s| s.step);
    view! {
        <ol class="steps">
            {steps.into_iter().map(|step| {
                let shown = if step.executed {
                    StepShown::Executed
                } else if failed == Some(step.step) {
                    StepShown::Failed
                } else if running && current == Some(step.step) {
                    StepShown::Running
                } else {
                    StepShown::Pending
                };
                let (state, label) = shown.class_and_label();
                let started = step.started_at;
                let elapsed = (shown == StepShown::Running).then_some(move || {
                    started.map(|at| {
                        let seconds = (now.get() - at).num_seconds().max(0);
                        format!(" · {seconds} s")
                    })
                });
                view! {
                    <li class=format!("step {state}") data-testid=format!("wizard-step-{}", step.step) data-state=state>
                        <span class="step-number">{step.step}</span>
                        <span class="step-text">{step.text}</span>
                        <span class="step-state">{label}{elapsed}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}
