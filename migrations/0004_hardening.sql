-- Hardening: an MS tenant is claimed only when the wizard proves control of it, no hint
-- of any secret is kept, simulated tenants have an owner, and the audit log is trimmed.

-- Storing an integration names an MS tenant; step 1 of the wizard, which signs in with
-- the secret, claims it. Tenants that got past step 1 (or were onboarded) hold their claim.
ALTER TABLE msteams_tenants ADD COLUMN claimed_ms_tenant_id TEXT;
UPDATE msteams_tenants SET claimed_ms_tenant_id = ms_tenant_id
WHERE ms_tenant_id IS NOT NULL
  AND (status = 'onboarded'
       OR EXISTS (SELECT 1 FROM msteams_wizard_steps s
                  WHERE s.msteams_tenant_id = msteams_tenants.id AND s.step = 1 AND s.executed_at IS NOT NULL));
DROP INDEX msteams_tenants_ms_tenant;
CREATE UNIQUE INDEX msteams_tenants_claimed ON msteams_tenants(claimed_ms_tenant_id)
    WHERE claimed_ms_tenant_id IS NOT NULL;
CREATE INDEX msteams_tenants_ms_tenant ON msteams_tenants(ms_tenant_id);

-- Only that a credential is stored, and when, is shown: never its first characters.
ALTER TABLE msteams_applications DROP COLUMN secret_hint;
ALTER TABLE msteams_administrators DROP COLUMN password_hint;
-- The simulator keeps none either (the column stays, empty, for older databases' sake).
UPDATE sim_application_secrets SET hint = '';

-- The node a simulated tenant was created for (NULL: made on the fly by the wizard).
ALTER TABLE sim_tenants ADD COLUMN owner_node_id TEXT REFERENCES nodes(id);

-- The retention limit deletes by age.
CREATE INDEX audit_log_at ON audit_log(at);
