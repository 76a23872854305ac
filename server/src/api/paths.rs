//! The path parameters of the API, one struct per shape. Each struct is both what the
//! OpenAPI document shows (`params(…)`) and what the handler reads (`ApiPath<…>`): the
//! raw segments deserialize into it, then `parse` turns them into domain types, so a
//! malformed segment is a 400 problem and a handler never sees one.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::{Deserialize, de::DeserializeOwned};

use crate::domain::{
    AppError,
    types::{
        DraasInstance, MsTenantId, SubscriptionId, SubscriptionPath, TenantUuid, clip, clip_to,
    },
};

/// Segments that parse into a domain value.
pub trait PathSegments: DeserializeOwned + Send {
    type Parsed;

    fn parse(self) -> Result<Self::Parsed, AppError>;
}

/// A path read as `P` and parsed (400 `invalid_path_parameter` when it is malformed).
pub struct ApiPath<P: PathSegments>(pub P::Parsed);

impl<P: PathSegments, S: Send + Sync> FromRequestParts<S> for ApiPath<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(segments) =
            Path::<P>::from_request_parts(parts, state)
                .await
                .map_err(|rejection| {
                    AppError::invalid(
                        "invalid_path_parameter",
                        clip_to(&rejection.body_text(), 200),
                    )
                })?;
        segments.parse().map(ApiPath)
    }
}

/// `{draas_instance}`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InstanceSegments {
    /// The DRaaS instance (service provider), e.g. `demo`.
    #[param(pattern = r"^[a-z0-9_-]{1,40}$", example = "demo")]
    draas_instance: String,
}

impl PathSegments for InstanceSegments {
    type Parsed = DraasInstance;

    fn parse(self) -> Result<DraasInstance, AppError> {
        DraasInstance::parse(&self.draas_instance)
    }
}

/// `{draas_instance}` and a tenant.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TenantSegments {
    /// The DRaaS instance (service provider), e.g. `demo`.
    #[param(pattern = r"^[a-z0-9_-]{1,40}$", example = "demo")]
    draas_instance: String,
    /// A system generated unique ID (UUID) identifying the tenant.
    #[param(value_type = uuid::Uuid, example = "40000000-0000-4000-8000-000000000002")]
    uuid: String,
}

impl PathSegments for TenantSegments {
    type Parsed = (DraasInstance, TenantUuid);

    fn parse(self) -> Result<Self::Parsed, AppError> {
        Ok((
            DraasInstance::parse(&self.draas_instance)?,
            TenantUuid::parse(&self.uuid)?,
        ))
    }
}

/// `{draas_instance}`, a tenant and one of its subscriptions.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SubscriptionSegments {
    /// The DRaaS instance (service provider), e.g. `demo`.
    #[param(pattern = r"^[a-z0-9_-]{1,40}$", example = "demo")]
    draas_instance: String,
    /// A system generated unique ID (UUID) identifying the tenant to which the subscription belongs.
    #[param(value_type = uuid::Uuid, example = "40000000-0000-4000-8000-000000000002")]
    uuid: String,
    /// A system generated ID identifying the subscription.
    #[param(value_type = i64, minimum = 1, example = 3)]
    subscription_id: String,
}

impl PathSegments for SubscriptionSegments {
    type Parsed = SubscriptionPath;

    fn parse(self) -> Result<SubscriptionPath, AppError> {
        Ok(SubscriptionPath {
            instance: DraasInstance::parse(&self.draas_instance)?,
            tenant: TenantUuid::parse(&self.uuid)?,
            subscription: SubscriptionId::parse(&self.subscription_id)?,
        })
    }
}

/// `{id}` of an asynchronous task.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TransactionSegments {
    /// The transaction id returned when the task started.
    #[param(value_type = i64)]
    id: String,
}

impl PathSegments for TransactionSegments {
    type Parsed = i64;

    fn parse(self) -> Result<i64, AppError> {
        self.id.parse::<i64>().map_err(|_| {
            AppError::invalid(
                "invalid_path_parameter",
                format!("transaction id '{}' is not an integer", clip(&self.id)),
            )
        })
    }
}

/// `{ms_tenant_id}` of a simulated tenant.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SimTenantSegments {
    /// The simulated Azure AD tenant id.
    #[param(value_type = uuid::Uuid)]
    ms_tenant_id: String,
}

impl PathSegments for SimTenantSegments {
    type Parsed = MsTenantId;

    fn parse(self) -> Result<MsTenantId, AppError> {
        sim_tenant(&self.ms_tenant_id)
    }
}

/// A Teams voice object of a simulated tenant.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VoiceObjectSegments {
    /// The simulated Azure AD tenant id.
    #[param(value_type = uuid::Uuid)]
    ms_tenant_id: String,
    /// The kind of object: `pstn_usage`, `voice_route` or `voice_routing_policy`.
    #[param(value_type = app::api_types::VoiceObjectKind)]
    kind: String,
    /// The object's identity, e.g. `Draas-VR`.
    identity: String,
}

/// A voice object's tenant, kind and identity.
pub struct VoiceObjectPath {
    pub tenant: MsTenantId,
    pub kind: String,
    pub identity: String,
}

impl PathSegments for VoiceObjectSegments {
    type Parsed = VoiceObjectPath;

    fn parse(self) -> Result<VoiceObjectPath, AppError> {
        Ok(VoiceObjectPath {
            tenant: sim_tenant(&self.ms_tenant_id)?,
            kind: self.kind,
            identity: self.identity,
        })
    }
}

fn sim_tenant(raw: &str) -> Result<MsTenantId, AppError> {
    MsTenantId::parse(raw).map_err(|_| {
        AppError::invalid(
            "invalid_path_parameter",
            format!("'{}' is not a tenant GUID", clip(raw)),
        )
    })
}
