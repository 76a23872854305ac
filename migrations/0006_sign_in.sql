-- Sign-in as the platform does it: a session is an access token (short-lived) and a
-- refresh token; an administrator may have two-factor authentication by e-mail code or
-- TOTP, asked for from a device (user agent and client network) not trusted yet; the
-- e-mailed codes land in a mock outbox.

-- Sessions of the earlier shape (one token) end: their holders sign in again.
DROP TABLE sessions;
CREATE TABLE sessions (
    id                 INTEGER PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
    access_hash        BLOB NOT NULL UNIQUE,      -- SHA-256 of the access token
    access_expires_at  TEXT NOT NULL,
    refresh_hash       BLOB NOT NULL UNIQUE,      -- SHA-256 of the refresh token
    refresh_expires_at TEXT NOT NULL,
    created_at         TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

ALTER TABLE admin_users ADD COLUMN two_factor TEXT NOT NULL DEFAULT 'none'
    CHECK (two_factor IN ('none', 'email', 'totp'));
-- Where e-mailed codes go.
ALTER TABLE admin_users ADD COLUMN email TEXT;
-- The TOTP shared secret, sealed like every stored secret.
ALTER TABLE admin_users ADD COLUMN totp_secret BLOB;
-- The last TOTP time step used: a code is good once.
ALTER TABLE admin_users ADD COLUMN totp_last_step INTEGER;

-- Devices (SHA-256 of user agent and client network) a user asked to trust.
CREATE TABLE trusted_devices (
    user_id       INTEGER NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
    device_hash   BLOB NOT NULL,
    trusted_until TEXT NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);

-- A sign-in waiting for its second factor; the payload is the client's handle on it.
CREATE TABLE two_factor_challenges (
    payload_hash BLOB PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
    option       TEXT NOT NULL CHECK (option IN ('email', 'totp')),
    code_hash    BLOB,                            -- e-mail codes only
    attempts     INTEGER NOT NULL DEFAULT 0,
    expires_at   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX two_factor_challenges_user ON two_factor_challenges(user_id);

-- The simulated mail server: what the platform would have e-mailed.
CREATE TABLE mail_outbox (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER REFERENCES admin_users(id) ON DELETE CASCADE,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX mail_outbox_user ON mail_outbox(user_id);
