//! Reads a scenario file strictly: JSON of the shape `model::Scenario` (a syntax error,
//! a wrong type or an unknown field names its line and column), then checks what the
//! types cannot (every reference resolves, ids are unique, levels match), naming the
//! line of each item that is wrong. Every mistake is reported, not only the first.

use std::collections::{BTreeMap, BTreeSet};

use app::api_types::{AdminLevel, LicenseType};
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::model::{AdminSpec, Scenario, SecondFactorSpec};
use crate::{
    auth::totp,
    domain::{
        roles,
        types::{AdminUpn, DraasInstance, Secret},
    },
};

/// At most this many items of each kind: a scenario is test data, not a bulk import.
pub const MAX_ITEMS: usize = 10_000;
/// Mistakes past this many are counted, not listed.
const MAX_LISTED: usize = 50;

/// One thing wrong in a scenario file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mistake {
    pub line: usize,
    /// The item, as `tenants[2]`; empty for a syntax error.
    pub item: String,
    pub message: String,
}

impl std::fmt::Display for Mistake {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.item.as_str() {
            "" => write!(formatter, "line {}: {}", self.line, self.message),
            item => write!(formatter, "line {}: {item}: {}", self.line, self.message),
        }
    }
}

/// Why a scenario file was refused: its mistakes, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", list(.mistakes))]
pub struct ScenarioError {
    pub mistakes: Vec<Mistake>,
}

fn list(mistakes: &[Mistake]) -> String {
    let mut lines: Vec<String> = mistakes
        .iter()
        .take(MAX_LISTED)
        .map(ToString::to_string)
        .collect();
    if mistakes.len() > MAX_LISTED {
        lines.push(format!("… and {} more", mistakes.len() - MAX_LISTED));
    }
    lines.join("\n")
}

/// Parses and checks a scenario.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    let syntax = |error: serde_json::Error| ScenarioError {
        mistakes: vec![Mistake {
            line: error.line(),
            item: String::new(),
            message: error.to_string(),
        }],
    };
    let scenario: Scenario = serde_json::from_str(text).map_err(syntax)?;
    let outline: Outline = serde_json::from_str(text).map_err(syntax)?;
    let mut check = Check {
        lines: outline.lines(text),
        mistakes: Vec::new(),
    };
    check.scenario(&scenario);
    if check.mistakes.is_empty() {
        Ok(scenario)
    } else {
        check.mistakes.sort_by_key(|mistake| mistake.line);
        Err(ScenarioError {
            mistakes: check.mistakes,
        })
    }
}

/// The same file with each item left unparsed, to learn on which line it starts.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Outline<'a> {
    #[serde(borrow)]
    instances: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    groups: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    distributors: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    resellers: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    tenants: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    subscriptions: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    admins: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    onboarded: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    links: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    simulator: Option<SimulatorOutline<'a>>,
}

#[derive(Deserialize)]
struct SimulatorOutline<'a> {
    #[serde(borrow, default)]
    tenants: Vec<&'a RawValue>,
}

impl Outline<'_> {
    /// The line each item starts on, by the section's name.
    fn lines(&self, text: &str) -> BTreeMap<&'static str, Vec<usize>> {
        let line_of = |raw: &&RawValue| {
            // The item borrows from `text`: its offset is where its text starts.
            let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
            text[..offset].matches('\n').count() + 1
        };
        let sim_tenants = self.simulator.as_ref().map_or(&[][..], |s| &s.tenants);
        [
            ("instances", &self.instances[..]),
            ("groups", &self.groups),
            ("distributors", &self.distributors),
            ("resellers", &self.resellers),
            ("tenants", &self.tenants),
            ("subscriptions", &self.subscriptions),
            ("admins", &self.admins),
            ("onboarded", &self.onboarded),
            ("links", &self.links),
            ("simulator.tenants", sim_tenants),
        ]
        .into_iter()
        .map(|(section, items)| (section, items.iter().map(line_of).collect()))
        .collect()
    }
}

/// The checks, collecting mistakes.
struct Check {
    lines: BTreeMap<&'static str, Vec<usize>>,
    mistakes: Vec<Mistake>,
}

impl Check {
    fn wrong(&mut self, section: &'static str, index: usize, message: impl Into<String>) {
        let line = self.lines[section].get(index).copied().unwrap_or(1);
        self.mistakes.push(Mistake {
            line,
            item: format!("{section}[{index}]"),
            message: message.into(),
        });
    }

    fn text(&mut self, section: &'static str, index: usize, field: &str, value: &str) {
        if let Some(mistake) = text_mistake(field, value) {
            self.wrong(section, index, mistake);
        }
    }

    fn scenario(&mut self, scenario: &Scenario) {
        for (section, count) in [
            ("instances", scenario.instances.len()),
            ("groups", scenario.groups.len()),
            ("distributors", scenario.distributors.len()),
            ("resellers", scenario.resellers.len()),
            ("tenants", scenario.tenants.len()),
            ("subscriptions", scenario.subscriptions.len()),
            ("admins", scenario.admins.len()),
            ("onboarded", scenario.onboarded.len()),
            ("links", scenario.links.len()),
            ("simulator.tenants", scenario.simulator.tenants.len()),
        ] {
            if count > MAX_ITEMS {
                self.wrong(section, MAX_ITEMS, format!("at most {MAX_ITEMS} {section}"));
            }
        }
        if !self.mistakes.is_empty() {
            return;
        }
        let nodes = self.tree(scenario);
        let subscriptions = self.subscriptions(scenario, &nodes);
        self.admins(scenario, &nodes);
        let onboarded = self.onboarded(scenario, &subscriptions);
        self.links(scenario, &subscriptions, &onboarded);
        self.simulator(scenario, &nodes);
    }

    /// The instances and the tree; returns each node's level.
    fn tree(&mut self, scenario: &Scenario) -> BTreeMap<Uuid, AdminLevel> {
        let mut slugs = BTreeSet::new();
        for (index, instance) in scenario.instances.iter().enumerate() {
            if let Err(error) = DraasInstance::parse(&instance.slug) {
                self.wrong("instances", index, error.to_string());
            }
            // Known even when malformed, so that its groups are not reported as well.
            if !slugs.insert(instance.slug.as_str()) {
                self.wrong(
                    "instances",
                    index,
                    format!("a second instance '{}'", instance.slug),
                );
            }
            self.text("instances", index, "name", &instance.name);
        }
        if scenario.instances.is_empty() {
            self.mistakes.push(Mistake {
                line: 1,
                item: "instances".into(),
                message: "at least one DRaaS instance is needed".into(),
            });
        }
        let mut nodes = BTreeMap::new();
        let add = |check: &mut Self,
                   nodes: &mut BTreeMap<Uuid, AdminLevel>,
                   section,
                   index,
                   uuid,
                   level| {
            // The first node keeps its uuid, so that what refers to it is not reported too.
            if let Some(first) = nodes.insert(uuid, level) {
                nodes.insert(uuid, first);
                check.wrong(
                    section,
                    index,
                    format!("the uuid {uuid} is taken by another node"),
                );
            }
        };
        for (index, group) in scenario.groups.iter().enumerate() {
            if !slugs.contains(group.instance.as_str()) {
                self.wrong("groups", index, format!("no instance '{}'", group.instance));
            }
            self.text("groups", index, "name", &group.name);
            self.text("groups", index, "billingId", &group.billing_id);
            if !(1..=24).contains(&group.secret_lifetime_months) {
                self.wrong("groups", index, "secretLifetimeMonths must be from 1 to 24");
            }
            add(
                self,
                &mut nodes,
                "groups",
                index,
                group.uuid,
                AdminLevel::Group,
            );
        }
        let levels: [(&'static str, &Vec<_>, AdminLevel, &[AdminLevel]); 3] = [
            (
                "distributors",
                &scenario.distributors,
                AdminLevel::Distributor,
                &[AdminLevel::Group],
            ),
            (
                "resellers",
                &scenario.resellers,
                AdminLevel::Reseller,
                &[AdminLevel::Group, AdminLevel::Distributor],
            ),
            (
                "tenants",
                &scenario.tenants,
                AdminLevel::Tenant,
                &[
                    AdminLevel::Group,
                    AdminLevel::Distributor,
                    AdminLevel::Reseller,
                ],
            ),
        ];
        for (section, items, level, parents) in levels {
            for (index, node) in items.iter().enumerate() {
                self.text(section, index, "name", &node.name);
                self.text(section, index, "billingId", &node.billing_id);
                // A parent is declared before: in an earlier section, or earlier in this one.
                match nodes.get(&node.parent) {
                    Some(parent) if parents.contains(parent) => {}
                    Some(parent) => self.wrong(
                        section,
                        index,
                        format!(
                            "its parent {} is a {}, which cannot hold a {}",
                            node.parent,
                            parent.as_str(),
                            level.as_str()
                        ),
                    ),
                    None => self.wrong(section, index, format!("no node {} above it", node.parent)),
                }
                add(self, &mut nodes, section, index, node.uuid, level);
            }
        }
        nodes
    }

    /// Returns each subscription's license type.
    fn subscriptions(
        &mut self,
        scenario: &Scenario,
        nodes: &BTreeMap<Uuid, AdminLevel>,
    ) -> BTreeMap<i64, LicenseType> {
        let mut found = BTreeMap::new();
        for (index, subscription) in scenario.subscriptions.iter().enumerate() {
            if subscription.id < 1 {
                self.wrong("subscriptions", index, "id must be a positive integer");
            } else if found
                .insert(subscription.id, subscription.license_type)
                .is_some()
            {
                self.wrong(
                    "subscriptions",
                    index,
                    format!("a second subscription {}", subscription.id),
                );
            }
            if nodes.get(&subscription.tenant) != Some(&AdminLevel::Tenant) {
                self.wrong(
                    "subscriptions",
                    index,
                    format!("no tenant {}", subscription.tenant),
                );
            }
            self.text("subscriptions", index, "name", &subscription.name);
            let mut users = BTreeSet::new();
            for user in &subscription.users {
                self.text("subscriptions", index, "a user's username", &user.username);
                if !users.insert(user.username.to_lowercase()) {
                    self.wrong(
                        "subscriptions",
                        index,
                        format!("the user {} twice", user.username),
                    );
                }
            }
        }
        found
    }

    fn admins(&mut self, scenario: &Scenario, nodes: &BTreeMap<Uuid, AdminLevel>) {
        let mut usernames = BTreeSet::new();
        for (index, admin) in scenario.admins.iter().enumerate() {
            if !usernames.insert(admin.username.to_lowercase()) {
                let twice = format!("a second admin '{}'", admin.username);
                self.wrong("admins", index, twice);
            }
            for mistake in admin_mistakes(admin, nodes.get(&admin.node).copied()) {
                self.wrong("admins", index, mistake);
            }
        }
    }

    /// Returns the onboarded subscriptions.
    fn onboarded(
        &mut self,
        scenario: &Scenario,
        subscriptions: &BTreeMap<i64, LicenseType>,
    ) -> BTreeSet<i64> {
        let mut found = BTreeSet::new();
        let mut ms_tenants = BTreeSet::new();
        for (index, onboarded) in scenario.onboarded.iter().enumerate() {
            match subscriptions.get(&onboarded.subscription) {
                Some(LicenseType::Msteams) => {}
                Some(license) => self.wrong(
                    "onboarded",
                    index,
                    format!(
                        "subscription {} is {license}, not msteams",
                        onboarded.subscription
                    ),
                ),
                None => self.wrong(
                    "onboarded",
                    index,
                    format!("no subscription {}", onboarded.subscription),
                ),
            }
            if !found.insert(onboarded.subscription) {
                self.wrong(
                    "onboarded",
                    index,
                    format!("subscription {} twice", onboarded.subscription),
                );
            }
            if !ms_tenants.insert(onboarded.ms_tenant_id) {
                self.wrong(
                    "onboarded",
                    index,
                    format!("the MS tenant {} twice", onboarded.ms_tenant_id),
                );
            }
            self.text("onboarded", index, "domain", &onboarded.domain);
            let checks = [
                Secret::parse("secret", onboarded.secret.clone()).err(),
                AdminUpn::parse(&onboarded.administrator).err(),
                Secret::parse(
                    "administratorPassword",
                    onboarded.administrator_password.clone(),
                )
                .err(),
            ];
            for error in checks.into_iter().flatten() {
                self.wrong("onboarded", index, error.to_string());
            }
        }
        found
    }

    fn links(
        &mut self,
        scenario: &Scenario,
        subscriptions: &BTreeMap<i64, LicenseType>,
        onboarded: &BTreeSet<i64>,
    ) {
        let mut linked = BTreeSet::new();
        for (index, link) in scenario.links.iter().enumerate() {
            if subscriptions.get(&link.subscription) != Some(&LicenseType::Msteams) {
                self.wrong(
                    "links",
                    index,
                    format!("no msteams subscription {}", link.subscription),
                );
            }
            if onboarded.contains(&link.subscription) {
                self.wrong(
                    "links",
                    index,
                    format!(
                        "subscription {} has its own MS Teams tenant",
                        link.subscription
                    ),
                );
            }
            if !linked.insert(link.subscription) {
                self.wrong(
                    "links",
                    index,
                    format!("subscription {} is linked twice", link.subscription),
                );
            }
            if !onboarded.contains(&link.to) {
                self.wrong(
                    "links",
                    index,
                    format!("subscription {} is not onboarded", link.to),
                );
            }
        }
    }

    fn simulator(&mut self, scenario: &Scenario, nodes: &BTreeMap<Uuid, AdminLevel>) {
        let onboarded: BTreeSet<Uuid> = scenario.onboarded.iter().map(|o| o.ms_tenant_id).collect();
        let mut ids = BTreeSet::new();
        for (index, tenant) in scenario.simulator.tenants.iter().enumerate() {
            self.text("simulator.tenants", index, "name", &tenant.name);
            if onboarded.contains(&tenant.id) {
                self.wrong(
                    "simulator.tenants",
                    index,
                    format!(
                        "{} is an onboarded tenant's: it is simulated already",
                        tenant.id
                    ),
                );
            }
            if !ids.insert(tenant.id) {
                self.wrong(
                    "simulator.tenants",
                    index,
                    format!("a second tenant {}", tenant.id),
                );
            }
            if let Some(owner) = tenant.owner
                && !nodes.contains_key(&owner)
            {
                self.wrong("simulator.tenants", index, format!("no node {owner}"));
            }
            if tenant.licenses.values().any(|count| *count > 10_000) {
                self.wrong(
                    "simulator.tenants",
                    index,
                    "at most 10000 licenses of a kind",
                );
            }
        }
    }
}

/// What is wrong with an administrator on its own (a scenario's, or one `server admin
/// add` makes), given the level of its node if that node exists.
pub fn admin_mistakes(admin: &AdminSpec, node_level: Option<AdminLevel>) -> Vec<String> {
    let mut mistakes: Vec<String> = [
        text_mistake("username", &admin.username),
        text_mistake("displayName", &admin.display_name),
    ]
    .into_iter()
    .flatten()
    .collect();
    if admin.username.chars().any(char::is_whitespace) {
        mistakes.push("username must not contain spaces".to_owned());
    }
    if let Some(password) = &admin.password
        && let Err(error) = Secret::parse("password", password.clone())
    {
        mistakes.push(error.to_string());
    }
    match node_level {
        Some(level) if level == admin.level => {}
        Some(level) => mistakes.push(format!(
            "node {} is a {}, not a {}",
            admin.node,
            level.as_str(),
            admin.level.as_str()
        )),
        None => mistakes.push(format!("no node {}", admin.node)),
    }
    let profiles: Vec<&str> = roles::builtin_profiles()
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    if !profiles.contains(&admin.profile.as_str()) {
        mistakes.push(format!(
            "no profile '{}' (one of: {})",
            admin.profile,
            profiles.join(", ")
        ));
    }
    match &admin.second_factor {
        Some(SecondFactorSpec::Email(address))
            if !address.contains('@') || address.chars().any(char::is_whitespace) =>
        {
            mistakes.push(format!("'{address}' is not an e-mail address"));
        }
        Some(SecondFactorSpec::Totp(secret))
            if secret.len() > 256
                || totp::decode_base32(secret).is_none_or(|key| key.len() < 10) =>
        {
            mistakes.push("the TOTP secret must be Base32 of 80 bits to 256 characters".to_owned());
        }
        _ => {}
    }
    mistakes
}

/// A name in a scenario must not be blank, and at most 200 characters.
fn text_mistake(field: &str, value: &str) -> Option<String> {
    (value.trim().is_empty() || value.chars().count() > 200)
        .then(|| format!("{field} must not be blank, and at most 200 characters"))
}
