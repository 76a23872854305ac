//! Argon2id password hashes in PHC string form.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};

pub fn hash(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .expect("argon2 with default parameters hashes any input")
        .to_string()
}

pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spend the time of one verification when the user does not exist, so that response
/// times do not reveal which usernames are real.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("not a real password"));
    let _ = verify(password, phc);
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_only_their_password() {
        let phc = super::hash("demo-alpha");
        assert!(phc.starts_with("$argon2id$"));
        assert!(super::verify("demo-alpha", &phc));
        assert!(!super::verify("demo-beta", &phc));
        assert!(!super::verify("demo-alpha", "garbage"));
    }
}
