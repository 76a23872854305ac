//! The public REST API called from the browser with gloo-net, as any client of it would:
//! the session cookie authenticates, and a POST carries this page's Origin, which the
//! server's cross-site check requires. The UI so rides the same contract as scripts do
//! (the wizard's polling and the script download); everything else goes through server
//! functions.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;

use crate::{
    api_types::{FileDownload, WizardFailure, WizardState, WizardView},
    backend::{SubRef, UiError},
};

/// `/api/v01/draas/{instance}/tenants/{uuid}/subscriptions/{id}/{tail}`.
fn subscription_url(instance: &str, at: SubRef, tail: &str) -> String {
    format!(
        "/api/v01/draas/{instance}/tenants/{}/subscriptions/{}/{tail}",
        at.tenant, at.subscription
    )
}

/// `GET …/msteams/wizard`: 200 the steps, 404 not started (or preparing), 400 a failed
/// run with its steps; any other answer is the error it says.
pub async fn wizard(instance: &str, at: SubRef) -> Result<WizardView, UiError> {
    let response = Request::get(&subscription_url(instance, at, "msteams/wizard"))
        .send()
        .await
        .map_err(unreachable_server)?;
    match response.status() {
        200 => Ok(WizardView::Active(body::<WizardState>(&response).await?)),
        404 => Ok(WizardView::NotStarted(problem(&response).await.detail)),
        400 => {
            let text = response.text().await.map_err(unreachable_server)?;
            match serde_json::from_str::<WizardFailure>(&text) {
                Ok(failure) => Ok(WizardView::Failed(failure)),
                Err(_) => Err(problem_from(400, &text)),
            }
        }
        _ => Err(problem(&response).await),
    }
}

/// `POST …/downloads/create_app`: the script, still in Base64.
pub async fn create_app(instance: &str, at: SubRef) -> Result<FileDownload, UiError> {
    let response = Request::post(&subscription_url(instance, at, "downloads/create_app"))
        .send()
        .await
        .map_err(unreachable_server)?;
    match response.status() {
        200 => body(&response).await,
        _ => Err(problem(&response).await),
    }
}

async fn body<T: DeserializeOwned>(response: &Response) -> Result<T, UiError> {
    response.json::<T>().await.map_err(|error| UiError {
        status: 502,
        code: "unexpected_answer".into(),
        detail: format!("The server's answer could not be read: {error}"),
    })
}

/// The problem+json body of a refusal, as the UI shows errors.
async fn problem(response: &Response) -> UiError {
    let status = response.status();
    match response.text().await {
        Ok(text) => problem_from(status, &text),
        Err(error) => unreachable_server(error),
    }
}

fn problem_from(status: u16, text: &str) -> UiError {
    let parsed: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let field = |name: &str| parsed[name].as_str().map(str::to_owned);
    UiError {
        status,
        code: field("code").unwrap_or_else(|| "error".into()),
        detail: field("detail").unwrap_or_else(|| format!("The server answered {status}")),
    }
}

fn unreachable_server(error: gloo_net::Error) -> UiError {
    UiError {
        status: 503,
        code: "unreachable".into(),
        detail: format!("The server could not be reached: {error}"),
    }
}
