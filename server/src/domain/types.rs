//! Input parsed once at the boundary into types the services can trust.

use std::fmt;

use uuid::Uuid;

use super::AppError;

const VALIDATION: &str = "validation_failed";
const PATH: &str = "invalid_path_parameter";

/// The DRaaS instance slug of a path (`demo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraasInstance(String);

impl DraasInstance {
    pub fn parse(value: &str) -> Result<Self, AppError> {
        let valid = (1..=40).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if valid {
            Ok(DraasInstance(value.to_owned()))
        } else {
            Err(AppError::invalid(
                PATH,
                format!(
                    "draas_instance '{}' is not a valid instance name (lowercase letters, digits, '-', '_')",
                    clip(value)
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant's UUID from a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantUuid(Uuid);

impl From<Uuid> for TenantUuid {
    /// Any UUID names a tenant (whether one exists is the directory's question).
    fn from(uuid: Uuid) -> Self {
        TenantUuid(uuid)
    }
}

impl TenantUuid {
    pub fn uuid(self) -> Uuid {
        self.0
    }

    pub fn parse(value: &str) -> Result<Self, AppError> {
        parse_guid(value).map(TenantUuid).ok_or_else(|| {
            AppError::invalid(PATH, format!("tenant uuid '{}' is not a UUID", clip(value)))
        })
    }
}

/// A subscription's integer index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionId(i64);

impl SubscriptionId {
    pub fn get(self) -> i64 {
        self.0
    }

    pub fn parse(value: &str) -> Result<Self, AppError> {
        match value.parse::<i64>() {
            Ok(id) if id > 0 && !value.starts_with('+') => Ok(SubscriptionId(id)),
            _ => Err(AppError::invalid(
                PATH,
                format!(
                    "subscription_id '{}' is not a positive integer",
                    clip(value)
                ),
            )),
        }
    }

    pub fn from_body(id: i64) -> Result<Self, AppError> {
        if id > 0 {
            Ok(SubscriptionId(id))
        } else {
            Err(AppError::invalid(
                VALIDATION,
                "subscriptionId must be a positive integer",
            ))
        }
    }
}

/// The three path parameters that address a subscription.
#[derive(Debug, Clone)]
pub struct SubscriptionPath {
    pub instance: DraasInstance,
    pub tenant: TenantUuid,
    pub subscription: SubscriptionId,
}

impl fmt::Display for SubscriptionPath {
    /// `demo/tenants/<uuid>/subscriptions/<id>`, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/tenants/{}/subscriptions/{}",
            self.instance.as_str(),
            self.tenant.0,
            self.subscription.0
        )
    }
}

/// The Azure AD (Entra) tenant id of an MS Teams tenant: a GUID, kept lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsTenantId(Uuid);

impl From<Uuid> for MsTenantId {
    /// Any UUID is a valid Azure AD tenant id.
    fn from(uuid: Uuid) -> Self {
        MsTenantId(uuid)
    }
}

impl MsTenantId {
    pub fn uuid(self) -> Uuid {
        self.0
    }

    pub fn parse(value: &str) -> Result<Self, AppError> {
        parse_guid(value).map(MsTenantId).ok_or_else(|| {
            AppError::invalid(
                VALIDATION,
                "msTeamsTenantId must be a GUID such as 27b418d0-b197-483d-a0b8-da90407a92c4",
            )
        })
    }
}

impl fmt::Display for MsTenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The application (client) id of an Azure AD app registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationId(Uuid);

impl ApplicationId {
    pub fn uuid(self) -> Uuid {
        self.0
    }

    pub fn parse(value: &str) -> Result<Self, AppError> {
        parse_guid(value).map(ApplicationId).ok_or_else(|| {
            AppError::invalid(
                VALIDATION,
                "applicationId must be a GUID such as c035894c-81c3-49aa-8e3e-f245d9b3b846",
            )
        })
    }
}

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// An application secret or a password. Never printed, never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub const MAX_LEN: usize = 256;

    /// `field` names the body field in the error message.
    pub fn parse(field: &str, value: String) -> Result<Self, AppError> {
        if value.trim().is_empty() {
            return Err(AppError::invalid(
                VALIDATION,
                format!("{field} must not be empty"),
            ));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(AppError::invalid(
                VALIDATION,
                format!("{field} is longer than {} characters", Self::MAX_LEN),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(AppError::invalid(
                VALIDATION,
                format!("{field} must not contain control characters"),
            ));
        }
        Ok(Secret(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The MS Teams administrator's sign-in name, a user principal name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminUpn(String);

impl AdminUpn {
    pub const MAX_LEN: usize = 256;

    /// `user@domain.tld` with no whitespace or control character anywhere and at most
    /// 256 characters (the OpenAPI document states the same pattern), kept lowercase.
    pub fn parse(value: &str) -> Result<Self, AppError> {
        let valid = value.chars().count() <= Self::MAX_LEN
            && value.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(AdminUpn(value.to_ascii_lowercase()))
        } else {
            Err(AppError::invalid(
                VALIDATION,
                "msUsername must be the administrator's sign-in name, such as admin@contoso.onmicrosoft.com",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a list is filtered by: a part of a name (or billing id), at most 100 characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    pub const MAX_LEN: usize = 100;

    pub fn parse(value: &str) -> Result<Self, AppError> {
        if value.chars().count() > Self::MAX_LEN {
            return Err(AppError::invalid(
                "invalid_query_parameter",
                format!("search must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "invalid_query_parameter",
                "search must not contain control characters",
            ));
        }
        Ok(SearchText(value.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Accepts the GUID forms Azure shows: hyphenated, optionally in braces, any case.
pub fn parse_guid(value: &str) -> Option<Uuid> {
    let inner = value
        .strip_prefix('{')
        .and_then(|v| v.strip_suffix('}'))
        .unwrap_or(value);
    if inner.len() != 36 {
        return None;
    }
    Uuid::try_parse(inner).ok()
}

/// Echo at most 60 characters of bad input back in an error.
pub fn clip(value: &str) -> String {
    clip_to(value, 60)
}

/// At most `max` characters of `value`, with an ellipsis when it was longer.
pub fn clip_to(value: &str, max: usize) -> String {
    let mut clipped: String = value.chars().take(max).collect();
    if value.chars().count() > max {
        clipped.push('…');
    }
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_must_be_hyphenated_uuids() {
        assert!(MsTenantId::parse("27b418d0-b197-483d-a0b8-da90407a92c4").is_ok());
        assert!(MsTenantId::parse("{27B418D0-B197-483D-A0B8-DA90407A92C4}").is_ok());
        assert!(MsTenantId::parse("27b418d0b197483da0b8da90407a92c4").is_err());
        assert!(ApplicationId::parse("not-a-guid").is_err());
        assert!(ApplicationId::parse("").is_err());
    }

    #[test]
    fn subscription_ids_are_positive_integers() {
        assert_eq!(SubscriptionId::parse("42").unwrap().0, 42);
        for bad in ["0", "-1", "abc", "1.5", "+3", "99999999999999999999"] {
            assert!(SubscriptionId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_checked_and_never_printed() {
        let secret = Secret::parse("secret", "i6k8Q~e326mrmOiLBicPD".into()).unwrap();
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert!(Secret::parse("secret", "   ".into()).is_err());
        assert!(Secret::parse("secret", "x".repeat(257)).is_err());
        assert!(Secret::parse("secret", "a\u{0}b".into()).is_err());
    }

    #[test]
    fn searches_are_short_and_printable() {
        assert_eq!(SearchText::parse("  acme ").unwrap().as_str(), "acme");
        assert!(SearchText::parse(&"a".repeat(100)).is_ok());
        assert!(SearchText::parse(&"a".repeat(101)).is_err());
        assert!(SearchText::parse("a\u{7}b").is_err());
    }

    #[test]
    fn administrator_names_are_upns() {
        assert_eq!(
            AdminUpn::parse("Admin@Contoso.onmicrosoft.com")
                .unwrap()
                .as_str(),
            "admin@contoso.onmicrosoft.com"
        );
        assert!(AdminUpn::parse("a@b.c").is_ok());
        for bad in [
            "admin",
            "@contoso.com",
            "admin@contoso",
            "ad min@contoso.com",
            " admin@contoso.com",
            "admin@.contoso.com",
            "admin@contoso.com.",
            "admin@contoso.com\u{85}",
        ] {
            assert!(AdminUpn::parse(bad).is_err(), "{bad}");
        }
    }
}
