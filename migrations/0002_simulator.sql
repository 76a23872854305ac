-- The embedded Microsoft simulator: what each simulated MS tenant holds. It lives in the
-- same database as Fusion so that a restart loses nothing.

CREATE TABLE sim_tenants (
    id             TEXT PRIMARY KEY,          -- the Azure AD tenant id (GUID)
    name           TEXT NOT NULL,
    initial_domain TEXT NOT NULL UNIQUE,      -- contoso.onmicrosoft.com
    created_at     TEXT NOT NULL
);

-- Faults switched on for a tenant; each fails the step where it would fail in reality.
CREATE TABLE sim_faults (
    tenant_id TEXT NOT NULL REFERENCES sim_tenants(id) ON DELETE CASCADE,
    fault     TEXT NOT NULL CHECK (fault IN ('mfa_enabled', 'no_free_license', 'txt_never_propagates',
                                             'secret_expired', 'secret_wrong', 'graph_throttling',
                                             'replication_lag')),
    PRIMARY KEY (tenant_id, fault)
);

CREATE TABLE sim_applications (
    app_id       TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES sim_tenants(id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

-- Only a SHA-256 of each minted secret is kept, as Azure AD keeps no readable secret.
CREATE TABLE sim_application_secrets (
    id          INTEGER PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES sim_applications(app_id) ON DELETE CASCADE,
    secret_hash BLOB NOT NULL,
    hint        TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE sim_skus (
    tenant_id      TEXT NOT NULL REFERENCES sim_tenants(id) ON DELETE CASCADE,
    sku_part       TEXT NOT NULL CHECK (sku_part IN ('STANDARDPACK', 'ENTERPRISEPACK', 'ENTERPRISEPREMIUM')),
    prepaid_units  INTEGER NOT NULL CHECK (prepaid_units >= 0),
    consumed_units INTEGER NOT NULL DEFAULT 0 CHECK (consumed_units >= 0),
    PRIMARY KEY (tenant_id, sku_part)
);

CREATE TABLE sim_domains (
    tenant_id         TEXT NOT NULL REFERENCES sim_tenants(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    verified          INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    verification_code TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE sim_dns_records (
    id          INTEGER PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES sim_tenants(id) ON DELETE CASCADE,
    domain      TEXT NOT NULL,
    record_type TEXT NOT NULL CHECK (record_type IN ('TXT', 'MX', 'CNAME')),
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, record_type, name, value)
);

CREATE TABLE sim_users (
    tenant_id  TEXT NOT NULL REFERENCES sim_tenants(id) ON DELETE CASCADE,
    upn        TEXT NOT NULL,
    licenses   TEXT NOT NULL DEFAULT '',      -- comma-separated SKU part numbers
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, upn)
);

CREATE TABLE sim_voice_objects (
    tenant_id  TEXT NOT NULL REFERENCES sim_tenants(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('pstn_usage', 'voice_route', 'voice_routing_policy')),
    identity   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, identity)
);

-- Every simulated Graph / PowerShell call, with its timing and outcome.
CREATE TABLE sim_journal (
    id          INTEGER PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES sim_tenants(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    operation   TEXT NOT NULL,
    target      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    status      INTEGER NOT NULL,
    latency_ms  INTEGER NOT NULL,
    detail      TEXT
);
CREATE INDEX sim_journal_tenant ON sim_journal(tenant_id, id);
