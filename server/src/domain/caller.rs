//! The authenticated administrator behind a request.

use std::collections::BTreeSet;

use app::api_types::{AdminLevel, Role};
use uuid::Uuid;

use super::AppError;

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub level: AdminLevel,
    /// The top of the caller's tree of authority.
    pub node_id: Uuid,
    pub node_name: String,
    pub instance_id: i64,
    pub instance_slug: String,
    pub profile: String,
    pub roles: BTreeSet<String>,
}

impl Caller {
    /// 403 unless the caller's profile grants `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.roles.contains(role.as_str()) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "The API consumer doesn't have sufficient rights to perform this action: role {role} is required"
            )))
        }
    }

    /// 403 unless the caller administers a group, a distributor or a reseller.
    pub fn require_above_tenant(&self) -> Result<(), AppError> {
        if self.level == AdminLevel::Tenant {
            Err(AppError::Forbidden(
                "Only group, distributor or reseller admins may link MS Teams tenants".into(),
            ))
        } else {
            Ok(())
        }
    }
}
