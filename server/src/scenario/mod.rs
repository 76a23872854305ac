//! Scenarios: the data a server starts with, from a JSON file (`--scenario PATH`), or
//! the built-in demo (`scenarios/demo.json`). A scenario loads into an empty database
//! only; a database that holds data keeps it.

mod load;
mod model;
mod parse;

use std::sync::LazyLock;

pub use load::{add_admin, database_is_empty, insert_admin, load_into_empty, replace};
pub use model::*;
pub use parse::{MAX_ITEMS, Mistake, ScenarioError, admin_mistakes, parse};

/// The demo's text, as shipped.
pub const DEMO_TEXT: &str = include_str!("../../../scenarios/demo.json");

/// The demo scenario.
pub fn demo() -> &'static Scenario {
    static DEMO: LazyLock<Scenario> =
        LazyLock::new(|| parse(DEMO_TEXT).expect("scenarios/demo.json is a valid scenario"));
    &DEMO
}

/// The lines printed at start with the demo: where the app is and who may sign in (the
/// demo's passwords are public; a scenario file's are never printed).
pub fn banner(scenario: &Scenario, address: &str) -> String {
    let mut text = format!(
        "\nFusion Teams Onboarding at http://{address}/\nAPI docs: http://{address}/api/v01/docs/\nDemo logins (username / password, level, profile):\n"
    );
    for admin in &scenario.admins {
        let Some(password) = &admin.password else {
            continue;
        };
        let second_factor = match &admin.second_factor {
            None => String::new(),
            Some(SecondFactorSpec::Email(_)) => {
                " + e-mailed code (simulator console, Outbox)".to_owned()
            }
            Some(SecondFactorSpec::Totp(secret)) => format!(" + TOTP, secret {secret}"),
        };
        text.push_str(&format!(
            "  {:<18} / {:<17} {:<12} {}{second_factor}\n",
            admin.username,
            password,
            admin.level.as_str(),
            admin.profile
        ));
    }
    text
}
