//! Stored secrets under key rotation: everything sealed by an earlier key (or in the
//! format before key versions) is opened and sealed again with the current key.

use crate::{
    crypto::{SecretBox, SecretSlot},
    domain::AppError,
    store::{Db, mock, msteams},
};

/// Re-seals, in one transaction, every stored secret the current key did not seal.
/// Returns how many. Fails (and changes nothing) if one cannot be opened.
pub async fn reseal_stale(db: &Db, secrets: &SecretBox) -> Result<u64, AppError> {
    let mut tx = db.begin_write().await?;
    let mut resealed = 0;
    for (slot, sealed) in msteams::sealed_secrets(&mut tx).await? {
        if secrets.is_current(&sealed) {
            continue;
        }
        let secret = secrets.open_for_reseal(slot, &sealed).map_err(|_| {
            AppError::Internal(format!(
                "a stored secret ({slot:?}) opens with neither the current key nor the old one: \
                 start with the key that sealed it (FUSION_SECRET_KEY or --secret-key-file), \
                 or give it as the old key (FUSION_OLD_SECRET_KEY or --old-secret-key-file)"
            ))
        })?;
        msteams::replace_sealed(&mut tx, slot, &secrets.seal(slot, &secret)?).await?;
        resealed += 1;
    }
    // The loaded scenario (the mock controls' reset) holds secrets too.
    if let Some(sealed) = mock::loaded_scenario(&mut *tx).await?
        && !secrets.is_current(&sealed)
    {
        let text = secrets
            .open_text(SecretSlot::Scenario, &sealed)
            .map_err(|_| {
                AppError::Internal(
                    "the loaded scenario opens with neither the current key nor the old one: \
                 start with the key that sealed it, or give it as the old key"
                        .into(),
                )
            })?;
        let slot = SecretSlot::Scenario;
        msteams::replace_sealed(&mut tx, slot, &secrets.seal_text(slot, &text)?).await?;
        resealed += 1;
    }
    tx.commit().await?;
    Ok(resealed)
}
