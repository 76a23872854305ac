//! Encryption of stored secrets (AES-256-GCM), and the key that does it.

use std::{fmt, fs, io::Write, path::Path};

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, AeadCore, KeyInit, OsRng},
};

use crate::domain::{AppError, types::Secret};

const NONCE_LEN: usize = 12;

/// Encrypts secrets before they are stored; the ciphertext carries its random nonce.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(<key redacted>)")
    }
}

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        SecretBox {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        }
    }

    /// A box with a fresh random key (tests, throw-away databases).
    pub fn random() -> Self {
        Self::new(Aes256Gcm::generate_key(OsRng).into())
    }

    /// The key from `hex_key` if given, else from `key_file`, which is created with a
    /// random key (mode 0600) when missing.
    pub fn load(hex_key: Option<&str>, key_file: &Path) -> Result<Self, String> {
        if let Some(hex_key) = hex_key {
            return parse_key(hex_key.trim()).map(Self::new);
        }
        match fs::read_to_string(key_file) {
            Ok(text) => parse_key(text.trim())
                .map(Self::new)
                .map_err(|e| format!("{}: {e}", key_file.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = Aes256Gcm::generate_key(OsRng).into();
                write_private(key_file, &hex::encode(key))
                    .map_err(|e| format!("{}: {e}", key_file.display()))?;
                Ok(Self::new(key))
            }
            Err(error) => Err(format!("{}: {error}", key_file.display())),
        }
    }

    pub fn seal(&self, secret: &Secret) -> Result<Vec<u8>, AppError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, secret.expose().as_bytes())
            .map_err(|_| AppError::Internal("secret encryption failed".into()))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Secret, AppError> {
        let fail =
            || AppError::Internal("a stored secret cannot be decrypted with this key".into());
        if sealed.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| fail())?;
        let text = String::from_utf8(plain).map_err(|_| fail())?;
        Secret::parse("secret", text).map_err(|_| fail())
    }
}

fn parse_key(hex_key: &str) -> Result<[u8; 32], String> {
    let bytes =
        hex::decode(hex_key).map_err(|_| "the secret key must be 64 hex characters".to_string())?;
    bytes
        .try_into()
        .map_err(|_| "the secret key must be 32 bytes (64 hex characters)".to_string())
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let secret =
            Secret::parse("secret", "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC".into()).unwrap();
        let sealed_box = SecretBox::random();
        let sealed = sealed_box.seal(&secret).unwrap();
        assert!(
            !sealed
                .windows(10)
                .any(|w| w == &secret.expose().as_bytes()[..10])
        );
        assert_eq!(sealed_box.open(&sealed).unwrap(), secret);
        assert!(SecretBox::random().open(&sealed).is_err());
    }

    #[test]
    fn key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/secret.key");
        let first = SecretBox::load(None, &path).unwrap();
        let second = SecretBox::load(None, &path).unwrap();
        let secret = Secret::parse("secret", "abc".into()).unwrap();
        assert_eq!(second.open(&first.seal(&secret).unwrap()).unwrap(), secret);
        assert!(SecretBox::load(Some("zz"), &path).is_err());
    }
}
