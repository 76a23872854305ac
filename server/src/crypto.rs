//! Encryption of stored secrets (AES-256-GCM), the keys that do it, and key rotation.
//!
//! A sealed secret is `fk1 | key id (4) | nonce (12) | ciphertext`: it names the key
//! that sealed it (so keys can be rotated) and is bound, as associated data, to the row
//! it belongs to, named by its owning subscription (an id never reused), so that a
//! ciphertext copied into another row does not open. Secrets sealed before this format
//! (`nonce | ciphertext`, no associated data) open only for re-sealing at start.

use std::{
    fmt, fs,
    io::Write,
    path::{Path, PathBuf},
};

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};
use sha2::{Digest, Sha256};

use crate::domain::{AppError, types::Secret};

const MAGIC: &[u8; 3] = b"fk1";
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = MAGIC.len() + KEY_ID_LEN + NONCE_LEN;

/// The row a secret belongs to, bound into its ciphertext: the credentials of the MS
/// Teams tenant owned by this subscription (subscription ids are never reused, unlike
/// the tenant rows' own ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretSlot {
    /// `msteams_applications.secret_ciphertext`.
    ApplicationSecret { subscription: i64 },
    /// `msteams_administrators.password_ciphertext`.
    AdministratorPassword { subscription: i64 },
    /// `admin_users.totp_secret`: an administrator's TOTP shared secret.
    TotpSecret { user: i64 },
    /// `mock_scenario.sealed`: the loaded scenario, which holds passwords and secrets.
    Scenario,
}

impl SecretSlot {
    fn associated_data(self) -> Vec<u8> {
        match self {
            SecretSlot::ApplicationSecret { subscription } => {
                format!("msteams_applications/subscription/{subscription}/secret")
            }
            SecretSlot::AdministratorPassword { subscription } => {
                format!("msteams_administrators/subscription/{subscription}/password")
            }
            SecretSlot::TotpSecret { user } => format!("admin_users/{user}/totp_secret"),
            SecretSlot::Scenario => "mock_scenario/sealed".to_owned(),
        }
        .into_bytes()
    }
}

#[derive(Clone)]
struct SealingKey {
    id: [u8; KEY_ID_LEN],
    cipher: Aes256Gcm,
    /// What further keys are derived from (`SecretBox::derive_key`).
    derivation: [u8; 32],
}

impl SealingKey {
    fn new(key: [u8; 32]) -> Self {
        let digest = Sha256::digest([b"fusion-secret-key-id:".as_slice(), &key].concat());
        let mut id = [0; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        SealingKey {
            id,
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
            derivation: Sha256::digest([b"fusion-derived-keys:".as_slice(), &key].concat()).into(),
        }
    }
}

/// Seals with the current key; opens with the current or the previous one.
#[derive(Clone)]
pub struct SecretBox {
    current: SealingKey,
    previous: Option<SealingKey>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(<keys redacted>)")
    }
}

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        SecretBox {
            current: SealingKey::new(key),
            previous: None,
        }
    }

    /// Also opens what `previous` sealed (key rotation).
    pub fn with_previous(mut self, previous: [u8; 32]) -> Self {
        self.previous = Some(SealingKey::new(previous));
        self
    }

    /// A key for `purpose` derived from the current key: it changes when the key does.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        Sha256::digest([&self.current.derivation, purpose.as_bytes()].concat()).into()
    }

    /// A box with a fresh random key (tests, throw-away databases).
    pub fn random() -> Self {
        Self::new(Aes256Gcm::generate_key(OsRng).into())
    }

    pub fn seal(&self, slot: SecretSlot, secret: &Secret) -> Result<Vec<u8>, AppError> {
        self.seal_text(slot, secret.expose())
    }

    /// Seals a text that holds secrets without being one (a scenario): `open_text` reads it.
    pub fn seal_text(&self, slot: SecretSlot, text: &str) -> Result<Vec<u8>, AppError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = slot.associated_data();
        let ciphertext = self
            .current
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: text.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| AppError::Internal("secret encryption failed".into()))?;
        let mut sealed = Vec::with_capacity(HEADER_LEN + ciphertext.len());
        sealed.extend_from_slice(MAGIC);
        sealed.extend_from_slice(&self.current.id);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    pub fn open(&self, slot: SecretSlot, sealed: &[u8]) -> Result<Secret, AppError> {
        text(slot, self.open_versioned(slot, sealed))
    }

    /// What `seal_text` sealed, with the current or the previous key.
    pub fn open_text(&self, slot: SecretSlot, sealed: &[u8]) -> Result<String, AppError> {
        self.open_versioned(slot, sealed)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| AppError::Internal(format!("{slot:?} opens with no key held")))
    }

    /// As `open`, also accepting the format before key versions: only to re-seal it.
    pub fn open_for_reseal(&self, slot: SecretSlot, sealed: &[u8]) -> Result<Secret, AppError> {
        text(
            slot,
            self.open_versioned(slot, sealed)
                .or_else(|| self.open_legacy(sealed)),
        )
    }

    /// Whether `sealed` was sealed by the current key in the current format.
    pub fn is_current(&self, sealed: &[u8]) -> bool {
        sealed.len() > HEADER_LEN
            && sealed.starts_with(MAGIC)
            && sealed[MAGIC.len()..MAGIC.len() + KEY_ID_LEN] == self.current.id
    }

    fn open_versioned(&self, slot: SecretSlot, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() <= HEADER_LEN || !sealed.starts_with(MAGIC) {
            return None;
        }
        let id = &sealed[MAGIC.len()..MAGIC.len() + KEY_ID_LEN];
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|key| key.id == id)?;
        let nonce = Nonce::from_slice(&sealed[MAGIC.len() + KEY_ID_LEN..HEADER_LEN]);
        let aad = slot.associated_data();
        key.cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad: &aad,
                },
            )
            .ok()
    }

    /// The format before key versions: `nonce | ciphertext`, no associated data.
    fn open_legacy(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|key| {
                key.cipher
                    .decrypt(Nonce::from_slice(nonce), ciphertext)
                    .ok()
            })
    }

    /// Seals in the format before key versions (tests of the upgrade only).
    #[doc(hidden)]
    pub fn seal_legacy(&self, secret: &Secret) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut sealed = nonce.to_vec();
        sealed.extend(
            self.current
                .cipher
                .encrypt(&nonce, secret.expose().as_bytes())
                .expect("encryption"),
        );
        sealed
    }
}

/// Where the keys come from.
pub struct KeySource<'a> {
    /// `FUSION_SECRET_KEY`, 64 hex characters, if set.
    pub key_from_env: Option<String>,
    /// The key file, created when missing (and no key comes from the environment).
    pub key_file: PathBuf,
    /// A key file of an earlier version beside the database, moved to `key_file`.
    pub legacy_key_file: Option<PathBuf>,
    /// The previous key, for rotation: from `FUSION_OLD_SECRET_KEY` or a file.
    pub old_key_from_env: Option<String>,
    pub old_key_file: Option<&'a Path>,
}

impl SecretBox {
    /// The keys as `source` names them; the key file is created (0600, synced) on
    /// first start.
    pub fn load(source: KeySource<'_>) -> Result<Self, String> {
        let current = match source.key_from_env.as_deref() {
            Some(hex_key) => {
                parse_key(hex_key.trim()).map_err(|e| format!("FUSION_SECRET_KEY: {e}"))?
            }
            None => {
                if let Some(legacy) = &source.legacy_key_file {
                    move_legacy_key(legacy, &source.key_file)?;
                }
                load_or_create(&source.key_file)?
            }
        };
        let mut keys = SecretBox::new(current);
        let previous = match (source.old_key_from_env.as_deref(), source.old_key_file) {
            (Some(hex_key), _) => {
                Some(parse_key(hex_key.trim()).map_err(|e| format!("FUSION_OLD_SECRET_KEY: {e}"))?)
            }
            (None, Some(path)) => Some(read_key(path)?),
            (None, None) => None,
        };
        if let Some(previous) = previous {
            keys = keys.with_previous(previous);
        }
        Ok(keys)
    }
}

fn text(slot: SecretSlot, plain: Option<Vec<u8>>) -> Result<Secret, AppError> {
    let plain = plain.ok_or_else(|| {
        AppError::Internal(format!(
            "a stored secret ({slot:?}) cannot be decrypted with the configured keys"
        ))
    })?;
    let text = String::from_utf8(plain)
        .map_err(|_| AppError::Internal("a stored secret is not text".into()))?;
    Secret::parse("secret", text)
        .map_err(|_| AppError::Internal("a stored secret is malformed".into()))
}

pub(crate) fn read_key(path: &Path) -> Result<[u8; 32], String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_key(text.trim()).map_err(|e| format!("{}: {e}", path.display()))
}

fn load_or_create(path: &Path) -> Result<[u8; 32], String> {
    match fs::read_to_string(path) {
        Ok(text) => {
            warn_if_readable_by_others(path);
            parse_key(text.trim()).map_err(|e| format!("{}: {e}", path.display()))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = Aes256Gcm::generate_key(OsRng).into();
            write_private(path, &hex::encode(key))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "created the key that encrypts stored secrets");
            Ok(key)
        }
        Err(error) => Err(format!("{}: {error}", path.display())),
    }
}

/// Earlier versions kept the key beside the database, so a backup of the data folder
/// carried its key: move it out (once).
fn move_legacy_key(legacy: &Path, key_file: &Path) -> Result<(), String> {
    if key_file.exists() || !legacy.exists() {
        return Ok(());
    }
    let key = read_key(legacy)?;
    write_private(key_file, &hex::encode(key))
        .map_err(|e| format!("{}: {e}", key_file.display()))?;
    fs::remove_file(legacy).map_err(|e| format!("{}: {e}", legacy.display()))?;
    tracing::warn!(from = %legacy.display(), to = %key_file.display(), "moved the secret key out of the data folder");
    Ok(())
}

fn parse_key(hex_key: &str) -> Result<[u8; 32], String> {
    let bytes =
        hex::decode(hex_key).map_err(|_| "the secret key must be 64 hex characters".to_string())?;
    bytes
        .try_into()
        .map_err(|_| "the secret key must be 32 bytes (64 hex characters)".to_string())
}

/// Writes a new file readable by its owner only, synced to disk with its folder entry.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    fs::File::open(dir)?.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the secret key file is readable by other users: chmod 600 it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> Secret {
        Secret::parse("secret", text.into()).unwrap()
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_in_their_row() {
        let secret = secret("L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC");
        let keys = SecretBox::random();
        let slot = SecretSlot::ApplicationSecret { subscription: 7 };
        let sealed = keys.seal(slot, &secret).unwrap();
        assert!(
            !sealed
                .windows(10)
                .any(|w| w == &secret.expose().as_bytes()[..10])
        );
        assert!(sealed.starts_with(b"fk1"));
        assert_eq!(keys.open(slot, &sealed).unwrap(), secret);
        assert!(keys.is_current(&sealed));
        assert!(SecretBox::random().open(slot, &sealed).is_err());
        assert!(
            keys.open(SecretSlot::ApplicationSecret { subscription: 8 }, &sealed)
                .is_err()
        );
        assert!(
            keys.open(
                SecretSlot::AdministratorPassword { subscription: 7 },
                &sealed
            )
            .is_err()
        );
    }

    #[test]
    fn a_rotated_box_opens_the_old_key_and_legacy_ciphertexts() {
        let old: [u8; 32] = Aes256Gcm::generate_key(OsRng).into();
        let new: [u8; 32] = Aes256Gcm::generate_key(OsRng).into();
        let slot = SecretSlot::AdministratorPassword { subscription: 3 };
        let before = SecretBox::new(old);
        let sealed_old = before.seal(slot, &secret("hunter22")).unwrap();
        let legacy = before.seal_legacy(&secret("legacy-one"));
        let rotated = SecretBox::new(new).with_previous(old);
        assert!(!rotated.is_current(&sealed_old));
        assert_eq!(rotated.open(slot, &sealed_old).unwrap(), secret("hunter22"));
        assert!(
            rotated.open(slot, &legacy).is_err(),
            "legacy only for re-sealing"
        );
        assert_eq!(
            rotated.open_for_reseal(slot, &legacy).unwrap(),
            secret("legacy-one")
        );
        assert!(SecretBox::new(new).open(slot, &sealed_old).is_err());
    }

    #[test]
    fn the_key_file_is_created_private_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/secret.key");
        let source = |path: &Path| KeySource {
            key_from_env: None,
            key_file: path.to_path_buf(),
            legacy_key_file: None,
            old_key_from_env: None,
            old_key_file: None,
        };
        let first = SecretBox::load(source(&path)).unwrap();
        let second = SecretBox::load(source(&path)).unwrap();
        let slot = SecretSlot::ApplicationSecret { subscription: 1 };
        let sealed = first.seal(slot, &secret("abc")).unwrap();
        assert_eq!(second.open(slot, &sealed).unwrap(), secret("abc"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let bad = KeySource {
            key_from_env: Some("zz".into()),
            ..source(&path)
        };
        assert!(SecretBox::load(bad).is_err());
    }

    #[test]
    fn a_legacy_key_beside_the_database_is_moved_out() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = dir.path().join("data/secret.key");
        fs::create_dir_all(legacy.parent().unwrap()).unwrap();
        let key: [u8; 32] = Aes256Gcm::generate_key(OsRng).into();
        fs::write(&legacy, hex::encode(key)).unwrap();
        let key_file = dir.path().join("config/secret.key");
        let loaded = SecretBox::load(KeySource {
            key_from_env: None,
            key_file: key_file.clone(),
            legacy_key_file: Some(legacy.clone()),
            old_key_from_env: None,
            old_key_file: None,
        })
        .unwrap();
        assert!(!legacy.exists());
        assert!(key_file.exists());
        let slot = SecretSlot::ApplicationSecret { subscription: 1 };
        let sealed = SecretBox::new(key).seal(slot, &secret("abc")).unwrap();
        assert_eq!(loaded.open(slot, &sealed).unwrap(), secret("abc"));
    }
}
