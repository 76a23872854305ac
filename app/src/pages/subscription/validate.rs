//! Inline checks before anything is sent; the server checks again.

/// `None` when `value` is a GUID, else what is wrong.
pub fn guid(label: &str, value: &str, required: bool) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return required.then(|| format!("{label} is required"));
    }
    uuid::Uuid::parse_str(value)
        .is_err()
        .then(|| format!("{label} must be a GUID like 27b418d0-b197-483d-a0b8-da90407a92c4"))
}

pub fn required(label: &str, value: &str) -> Option<String> {
    value
        .trim()
        .is_empty()
        .then(|| format!("{label} is required"))
}

/// An administrator account: a user principal name, name@domain.
pub fn upn(value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return Some("Username is required".into());
    }
    match value.split_once('@') {
        Some((name, domain))
            if !name.is_empty() && domain.contains('.') && !domain.ends_with('.') =>
        {
            None
        }
        _ => {
            Some("Username must be a user principal name like admin@contoso.onmicrosoft.com".into())
        }
    }
}
