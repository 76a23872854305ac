//! What an administrator may see: tenants and subscriptions in its tree of authority.

use app::api_types::{MsTeamsState, NodeName, Paged, SubscriptionSummary, TenantSummary};

use super::{
    AppError, Caller, roles,
    types::{DraasInstance, PageRequest, SearchText, SubscriptionPath, TenantUuid},
};
use crate::store::{
    Db,
    directory::{self, SubscriptionRecord, SubscriptionRow},
};

#[derive(Clone, Debug)]
pub struct Directory {
    db: Db,
}

impl Directory {
    pub fn new(db: Db) -> Self {
        Directory { db }
    }

    pub async fn tenants(
        &self,
        caller: &Caller,
        instance: &DraasInstance,
        page: PageRequest,
        search: &SearchText,
    ) -> Result<Paged<TenantSummary>, AppError> {
        caller.require(roles::TENANTS_READ)?;
        self.instance_id(caller, instance)?;
        let (rows, total) = directory::list_tenants(
            &self.db,
            caller.node_id,
            search.as_str(),
            page.size.into(),
            page.offset(),
        )
        .await?;
        let results = rows
            .into_iter()
            .map(|row| TenantSummary {
                uuid: row.id,
                name: row.name,
                reseller: NodeName {
                    uuid: row.reseller_id,
                    name: row.reseller_name,
                },
                subscription_count: u32::try_from(row.subscription_count).unwrap_or(u32::MAX),
            })
            .collect();
        Ok(paged(results, page, total))
    }

    pub async fn subscriptions(
        &self,
        caller: &Caller,
        instance: &DraasInstance,
        tenant: TenantUuid,
        page: PageRequest,
    ) -> Result<Paged<SubscriptionSummary>, AppError> {
        caller.require(roles::SUBSCRIPTIONS_READ)?;
        let instance_id = self.instance_id(caller, instance)?;
        directory::tenant_in_tree(&self.db, instance_id, tenant.0, caller.node_id)
            .await?
            .ok_or_else(|| {
                AppError::NotFound(format!("No tenant {} in your tree of authority", tenant.0))
            })?;
        let (rows, total) =
            directory::list_subscriptions(&self.db, tenant.0, page.size.into(), page.offset())
                .await?;
        Ok(paged(
            rows.into_iter().map(subscription_summary).collect(),
            page,
            total,
        ))
    }

    /// The subscription a path names, if it lies in the caller's tree of authority; 404
    /// otherwise, whether it does not exist or is someone else's.
    pub async fn subscription(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<SubscriptionRecord, AppError> {
        let instance_id = self.instance_id(caller, &path.instance)?;
        directory::subscription_in_tree(
            &self.db,
            instance_id,
            path.tenant.0,
            path.subscription.0,
            caller.node_id,
        )
        .await?
        .ok_or_else(AppError::subscription_not_found)
    }

    /// A subscription in the caller's tree, with its tenant's name and its summary as
    /// the subscription list shows it.
    pub async fn subscription_summary(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<(String, SubscriptionSummary), AppError> {
        caller.require(roles::SUBSCRIPTIONS_READ)?;
        let record = self.subscription(caller, path).await?;
        let row = directory::subscription_row(&self.db, record.id)
            .await?
            .ok_or_else(AppError::subscription_not_found)?;
        Ok((record.tenant_name, subscription_summary(row)))
    }

    /// The subscription, which must be one that can hold an MS Teams tenant.
    pub async fn msteams_subscription(
        &self,
        caller: &Caller,
        path: &SubscriptionPath,
    ) -> Result<SubscriptionRecord, AppError> {
        let subscription = self.subscription(caller, path).await?;
        if subscription.license_type != "msteams" {
            return Err(AppError::invalid(
                "wrong_license_type",
                format!(
                    "Subscription {} has license type {}; MS Teams needs an msteams subscription",
                    subscription.id, subscription.license_type
                ),
            ));
        }
        Ok(subscription)
    }

    /// The caller's own instance: it is loaded with the session, so no query is needed.
    fn instance_id(&self, caller: &Caller, instance: &DraasInstance) -> Result<i64, AppError> {
        if instance.as_str() == caller.instance_slug {
            Ok(caller.instance_id)
        } else {
            Err(AppError::NotFound(format!(
                "No DRaaS instance '{}' for this administrator",
                instance.as_str()
            )))
        }
    }
}

fn paged<T>(results: Vec<T>, page: PageRequest, total: i64) -> Paged<T> {
    let total = u64::try_from(total).unwrap_or(0);
    let pages = total.div_ceil(u64::from(page.size)).max(1);
    Paged {
        results,
        pages: u32::try_from(pages).unwrap_or(u32::MAX),
        page: page.page,
        size: page.size,
        total,
    }
}

fn subscription_summary(row: SubscriptionRow) -> SubscriptionSummary {
    SubscriptionSummary {
        id: row.id,
        name: row.name,
        license_type: row.license_type,
        direct_routing_users: u32::try_from(row.direct_routing_users).unwrap_or(u32::MAX),
        ms_teams: ms_teams_state(
            row.own_status.as_deref(),
            row.own_ms_tenant_id.or(row.linked_ms_tenant_id),
            row.own_domain.or(row.linked_domain),
            row.own_step,
            row.linked_to,
        ),
    }
}

/// One word for where a subscription stands, from its own MS Teams tenant or its link.
pub fn ms_teams_state(
    own_status: Option<&str>,
    ms_tenant_id: Option<String>,
    domain: Option<String>,
    step: Option<i64>,
    linked_to: Option<i64>,
) -> MsTeamsState {
    let state = match (own_status, linked_to) {
        (Some(status), _) => status,
        (None, Some(_)) => "linked",
        (None, None) => "not_onboarded",
    };
    let step = match state {
        "onboarding" | "failed" => step.and_then(|s| u8::try_from(s).ok()),
        _ => None,
    };
    MsTeamsState {
        state: state.to_owned(),
        ms_tenant_id,
        domain,
        step,
        linked_to,
    }
}
