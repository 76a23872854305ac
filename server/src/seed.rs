//! The built-in profiles, written at every start. The data a server starts with comes
//! from a scenario (`crate::scenario`).

use crate::{
    domain::{AppError, roles},
    store::{Db, accounts},
};

pub async fn ensure_profiles(db: &Db) -> Result<(), AppError> {
    for (name, description, role_list) in roles::builtin_profiles() {
        accounts::upsert_profile(db, name, description, &role_list).await?;
    }
    Ok(())
}
