-- The durable job runner and the onboarding wizard's progress.

-- One row per asynchronous task; its id is the transaction id. Workers claim due rows
-- with a lease (lease_owner, lease_until) that a heartbeat renews; a row whose lease
-- has run out is claimed again by any worker, which is how a crash is recovered.
-- Waiting is a later run_at, never a held lease.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY REFERENCES transactions(id),
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('ready', 'done', 'failed')),
    cursor      INTEGER NOT NULL,             -- where the handler is (the wizard: its step; -1 preparation)
    memo        TEXT,                         -- the handler's memory across waits (JSON)
    attempts    INTEGER NOT NULL DEFAULT 0,   -- failed tries at the current cursor
    run_at      INTEGER NOT NULL,             -- ms since the Unix epoch
    lease_owner TEXT,
    lease_until INTEGER,                      -- ms since the Unix epoch
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs(run_at) WHERE state = 'ready';

-- The six wizard steps of an MS Teams tenant. The rows exist once the preparation phase
-- is over (before that, GET wizard answers 404); executed steps are never redone.
CREATE TABLE msteams_wizard_steps (
    msteams_tenant_id    INTEGER NOT NULL REFERENCES msteams_tenants(id) ON DELETE CASCADE,
    step                 INTEGER NOT NULL CHECK (step BETWEEN 0 AND 5),
    executed_at          TEXT,
    started_at           TEXT,
    voice_routing_status TEXT,                -- JSON, step 5 only
    PRIMARY KEY (msteams_tenant_id, step)
);

-- The tenant's latest wizard run, and how it failed.
ALTER TABLE msteams_tenants ADD COLUMN wizard_transaction_id INTEGER REFERENCES transactions(id);
ALTER TABLE msteams_tenants ADD COLUMN wizard_error TEXT;

-- What the simulator needs to model propagation, throttling and replication lag.
ALTER TABLE sim_domains ADD COLUMN verify_checks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sim_tenants ADD COLUMN graph_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sim_users ADD COLUMN lagging_reads INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sim_applications ADD COLUMN service_principal INTEGER NOT NULL DEFAULT 0;

-- Tenants onboarded before the wizard kept its steps: all six executed.
INSERT INTO msteams_wizard_steps (msteams_tenant_id, step, executed_at, started_at)
SELECT t.id, s.value, t.updated_at, t.updated_at
FROM msteams_tenants t, json_each('[0, 1, 2, 3, 4, 5]') s
WHERE t.status = 'onboarded';
