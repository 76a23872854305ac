//! Who is signed in: one resource per page render, and the header that shows it. Both
//! are server-rendered; signing out is a plain form post.
//!
//! Server-rendered pages hold their data in `ArcResource`s, read queries once, untracked,
//! when they are created: a render cut short (the browser navigated away) disposes the
//! page's reactive owner while its futures may still be polled, and an arena-allocated
//! value read then panics; an `Arc` one lives as long as it is held.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    api_types::{CurrentUser, Role},
    server_fns::{Logout, me},
};

/// The signed-in user (or `None`).
#[derive(Clone)]
pub struct SessionContext {
    pub user: ArcResource<Option<CurrentUser>>,
}

pub fn provide() {
    let user = ArcResource::new(|| (), |_| async move { me().await.ok().flatten() });
    provide_context(SessionContext { user });
}

pub fn use_session() -> SessionContext {
    expect_context::<SessionContext>()
}

/// Whether the user holds `role`.
pub fn has_role(user: &CurrentUser, role: Role) -> bool {
    user.may(role)
}

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                "Fusion Teams Onboarding"
            </a>
            <nav aria-label="Main">
                <Transition fallback=|| ()>
                    {move || {
                        let user = session.user.clone();
                        Suspend::new(async move {
                        let user = user.await;
                        let simulator = user
                            .as_ref()
                            .is_some_and(|u| has_role(u, Role::SimulatorManage));
                        view! {
                            {simulator.then(|| view! { <a href="/simulator">"Simulator"</a> })}
                            <a href="/api/v01/docs/" rel="external">
                                "API docs"
                            </a>
                            {match user {
                                Some(user) => {
                                    view! {
                                        <span class="who" data-testid="signed-in-user">
                                            {user.display_name.clone()}
                                            <small>
                                                {format!(
                                                    " · {} admin · {}",
                                                    user.level.as_str(),
                                                    user.node.name,
                                                )}
                                            </small>
                                        </span>
                                        <form method="post" action=Logout::PATH class="inline">
                                            <button type="submit" class="link-button">
                                                "Sign out"
                                            </button>
                                        </form>
                                    }
                                        .into_any()
                                }
                                None => view! { <a href="/login">"Sign in"</a> }.into_any(),
                            }}
                        }
                    })
                    }}
                </Transition>
            </nav>
        </header>
    }
}
