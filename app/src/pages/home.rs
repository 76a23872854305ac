use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api_types::{MsTeamsState, OnboardingState, Subscription},
    backend::{Overview, TenantWithSubscriptions, query_value},
    components::{ErrorNote, Loading},
    server_fns::tenant_overview,
    session::use_session,
};

/// Signed out: what the product does. Signed in: the tenants and subscriptions in the
/// caller's tree of authority with their MS Teams state, searchable and paged.
#[component]
pub fn HomePage() -> impl IntoView {
    let user = use_session().user;
    view! {
        <Transition fallback=Loading>
            {move || {
                let user = user.clone();
                Suspend::new(async move {
                    match user.await {
                        Some(_) => view! { <Dashboard /> }.into_any(),
                        None => view! { <Welcome /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Connect MS Teams tenants to Fusion voice"</h1>
            <p>
                "Onboard a customer's Microsoft Teams tenant for Direct Routing: prepare the "
                "Azure AD application, store the administrator credentials, run the six-step "
                "wizard and link further subscriptions to an onboarded tenant."
            </p>
            <p>
                <a class="button primary" href="/login">"Sign in"</a>
            </p>
            <p>
                "Integrators script against the REST API under " <code>"/api/v01"</code>
                "; its OpenAPI description is at "
                <a href="/api/v01/openapi.json" rel="external">"/api/v01/openapi.json"</a>
                " and can be tried on the " <a href="/api/v01/docs/" rel="external">"API docs page"</a> "."
            </p>
        </section>
    }
}

#[component]
fn Dashboard() -> impl IntoView {
    let (page, search) = use_query_map().with_untracked(|query| {
        let page = query
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1);
        (page, query.get("q").unwrap_or_default())
    });
    let data = {
        let search = search.clone();
        ArcResource::new(|| (), move |_| tenant_overview(page, search.clone()))
    };
    view! {
        <section class="card">
            <div class="section-head">
                <h1>"Tenants and subscriptions"</h1>
                <form method="get" action="/" class="search" role="search">
                    <label for="search" class="visually-hidden">"Search tenants"</label>
                    <input id="search" type="search" name="q" placeholder="Search tenants" maxlength="100" value=search.clone() />
                    <button type="submit">"Search"</button>
                </form>
            </div>
            <Transition fallback=Loading>
                {move || {
                    let (data, search) = (data.clone(), search.clone());
                    Suspend::new(async move {
                        match data.await {
                            Ok(overview) => view! { <OverviewTable overview search /> }.into_any(),
                            Err(error) => view! { <ErrorNote error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn OverviewTable(overview: Overview, search: String) -> impl IntoView {
    if overview.tenants.is_empty() {
        let message = if !search.is_empty() {
            format!("No tenant matches “{search}”.")
        } else if overview.page > 1 {
            format!("No tenants on page {}.", overview.page)
        } else {
            "No tenants in your tree of authority yet.".to_owned()
        };
        let first = (search.is_empty() && overview.page > 1)
            .then(|| view! { " " <a href="/">"First page"</a> });
        return view! { <p class="empty" data-testid="empty">{message}{first}</p> }.into_any();
    }
    let pager = (overview.pages > 1).then(|| {
        let link = |page: u32| {
            let q = if search.is_empty() { String::new() } else { format!("q={}&", query_value(&search)) };
            format!("?{q}page={page}")
        };
        view! {
            <nav class="pager" aria-label="Pages">
                {(overview.page > 1).then(|| view! { <a href=link(overview.page - 1)>"← Previous"</a> })}
                <span>{format!("Page {} of {} · {} tenants", overview.page, overview.pages, overview.results)}</span>
                {(overview.page < overview.pages).then(|| view! { <a href=link(overview.page + 1)>"Next →"</a> })}
            </nav>
        }
    });
    view! {
        <div class="table-wrap">
            <table class="overview">
                <thead>
                    <tr>
                        <th scope="col">"Tenant"</th>
                        <th scope="col">"Subscription"</th>
                        <th scope="col">"License"</th>
                        <th scope="col">"MS Teams"</th>
                    </tr>
                </thead>
                <tbody>
                    {overview.tenants.into_iter().map(tenant_rows).collect_view()}
                </tbody>
            </table>
        </div>
        {pager}
    }
    .into_any()
}

fn tenant_rows(entry: TenantWithSubscriptions) -> impl IntoView {
    let tenant = entry.tenant;
    let span = entry.subscriptions.len().max(1);
    let name = tenant.name.clone();
    // Who serves the tenant: its distributor or reseller, else the group itself.
    let owner = tenant
        .owner
        .as_ref()
        .map_or_else(|| "direct".to_owned(), |owner| owner.name.clone());
    let detail = format!(" · {owner}");
    let head = move || {
        view! {
            <th scope="rowgroup" rowspan=span.to_string()>
                {name.clone()}
                <small class="muted">{detail.clone()}</small>
            </th>
        }
    };
    if entry.subscriptions.is_empty() {
        return view! {
            <tr>{head()}<td colspan="3" class="muted">"No subscriptions"</td></tr>
        }
        .into_any();
    }
    entry
        .subscriptions
        .into_iter()
        .enumerate()
        .map(|(index, subscription)| {
            let first = (index == 0).then(&head);
            let href = format!("/tenants/{}/subscriptions/{}", tenant.uuid, subscription.id);
            view! {
                <tr data-testid=format!("subscription-{}", subscription.id)>
                    {first}
                    <td><a href=href>{subscription_label(&subscription)}</a></td>
                    <td>{subscription.license_type.to_string()}</td>
                    <td><MsTeamsBadge state=subscription.ms_teams.clone() /></td>
                </tr>
            }
        })
        .collect_view()
        .into_any()
}

fn subscription_label(subscription: &Subscription) -> String {
    format!("{} (#{})", subscription.name, subscription.id)
}

/// One line for where a subscription stands with MS Teams.
#[component]
pub fn MsTeamsBadge(state: MsTeamsState) -> impl IntoView {
    let (class, text) = match state.state {
        OnboardingState::Onboarded => (
            "badge ok",
            format!("Onboarded · {}", state.domain.unwrap_or_default()),
        ),
        OnboardingState::Onboarding => (
            "badge running",
            format!("Onboarding · step {} of 6", state.step.map_or(1, |s| s + 1)),
        ),
        OnboardingState::Failed => (
            "badge failed",
            format!("Failed at step {}", state.step.unwrap_or_default()),
        ),
        OnboardingState::Linked => (
            "badge linked",
            format!("Linked to #{}", state.linked_to.unwrap_or_default()),
        ),
        OnboardingState::Pending => ("badge", "Credentials stored".to_owned()),
        OnboardingState::NotOnboarded => ("badge muted", "Not onboarded".to_owned()),
    };
    view! { <span class=class data-testid="msteams-state">{text}</span> }
}
