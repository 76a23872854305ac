-- The Fusion side of the platform: hierarchy, administrators, subscriptions and their
-- MS Teams integration. Times are RFC 3339 text in UTC; UUIDs are hyphenated text.

CREATE TABLE draas_instances (
    id   INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

-- Group -> distributor -> reseller -> tenant.
CREATE TABLE nodes (
    id          TEXT PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES draas_instances(id),
    kind        TEXT NOT NULL CHECK (kind IN ('group', 'distributor', 'reseller', 'tenant')),
    name        TEXT NOT NULL,
    parent_id   TEXT REFERENCES nodes(id),
    created_at  TEXT NOT NULL,
    CHECK ((kind = 'group') = (parent_id IS NULL))
);
CREATE INDEX nodes_parent ON nodes(parent_id);

-- What create_app.ps1 is rendered with, per group.
CREATE TABLE group_settings (
    group_id               TEXT PRIMARY KEY REFERENCES nodes(id),
    app_display_name       TEXT NOT NULL,
    secret_lifetime_months INTEGER NOT NULL CHECK (secret_lifetime_months BETWEEN 1 AND 24)
);

CREATE TABLE subscriptions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL REFERENCES nodes(id),
    name         TEXT NOT NULL,
    license_type TEXT NOT NULL CHECK (license_type IN ('msteams', 'sip-trunks')),
    created_at   TEXT NOT NULL
);
CREATE INDEX subscriptions_tenant ON subscriptions(tenant_id);

-- Fusion users of a subscription; direct routing blocks an unlink.
CREATE TABLE fusion_users (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id),
    username        TEXT NOT NULL,
    direct_routing  INTEGER NOT NULL DEFAULT 0 CHECK (direct_routing IN (0, 1)),
    UNIQUE (subscription_id, username)
);

CREATE TABLE profiles (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL
);

CREATE TABLE profile_roles (
    profile TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    role    TEXT NOT NULL,
    PRIMARY KEY (profile, role)
);

CREATE TABLE admin_users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('group', 'distributor', 'reseller', 'tenant')),
    node_id       TEXT NOT NULL REFERENCES nodes(id),
    profile       TEXT NOT NULL REFERENCES profiles(name),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

-- Only a SHA-256 of each token is kept: a stolen database holds no usable session.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- The MS Teams tenant onboarded (or being prepared) through one owning subscription.
CREATE TABLE msteams_tenants (
    id                      INTEGER PRIMARY KEY,
    owner_subscription_id   INTEGER NOT NULL UNIQUE REFERENCES subscriptions(id),
    ms_tenant_id            TEXT,
    mode                    TEXT NOT NULL DEFAULT 'direct_routing'
                            CHECK (mode IN ('direct_routing', 'operator_connect')),
    status                  TEXT NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'onboarding', 'onboarded', 'failed')),
    domain                  TEXT,
    current_step            INTEGER,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE UNIQUE INDEX msteams_tenants_ms_tenant ON msteams_tenants(ms_tenant_id)
    WHERE ms_tenant_id IS NOT NULL;

-- Azure AD application integration (MS Graph). The secret is AES-256-GCM encrypted.
CREATE TABLE msteams_applications (
    msteams_tenant_id INTEGER PRIMARY KEY REFERENCES msteams_tenants(id) ON DELETE CASCADE,
    application_id    TEXT NOT NULL,
    secret_ciphertext BLOB NOT NULL,
    secret_hint       TEXT NOT NULL,
    secret_expires_at TEXT,
    updated_at        TEXT NOT NULL
);

-- MS Teams administrator credentials (PowerShell). The password is encrypted.
CREATE TABLE msteams_administrators (
    msteams_tenant_id   INTEGER PRIMARY KEY REFERENCES msteams_tenants(id) ON DELETE CASCADE,
    username            TEXT NOT NULL,
    password_ciphertext BLOB NOT NULL,
    password_hint       TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

-- A subscription sharing another subscription's onboarded MS Teams tenant.
CREATE TABLE msteams_links (
    subscription_id   INTEGER PRIMARY KEY REFERENCES subscriptions(id),
    msteams_tenant_id INTEGER NOT NULL REFERENCES msteams_tenants(id),
    created_at        TEXT NOT NULL
);
CREATE INDEX msteams_links_tenant ON msteams_links(msteams_tenant_id);

-- Asynchronous tasks; ids are one global sequence, as on the platform.
CREATE TABLE transactions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    subscription_id INTEGER REFERENCES subscriptions(id),
    status          TEXT NOT NULL,
    detail          TEXT,
    created_by      INTEGER REFERENCES admin_users(id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('transactions', 214000);

-- Every mutating call: who, what, when, outcome. Never a body, so never a secret.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    username   TEXT,
    method     TEXT NOT NULL,
    path       TEXT NOT NULL,
    status     INTEGER NOT NULL,
    outcome    TEXT NOT NULL
);
