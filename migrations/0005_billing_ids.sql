-- Billing ids, as the platform's lists show them (`billingId` on groups, distributors,
-- resellers and tenants). Every node has one: the demo sets its own, and a node stored
-- without one (rows from before this migration, or inserted by other means) gets one
-- derived from its row: the first three letters of its kind and the last part of its
-- UUID, e.g. `TEN-000000000001`.
ALTER TABLE nodes ADD COLUMN billing_id TEXT;

UPDATE nodes SET billing_id = upper(substr(kind, 1, 3)) || '-' || upper(substr(id, 25))
WHERE billing_id IS NULL;

CREATE TRIGGER nodes_billing_id AFTER INSERT ON nodes
WHEN NEW.billing_id IS NULL
BEGIN
    UPDATE nodes SET billing_id = upper(substr(NEW.kind, 1, 3)) || '-' || upper(substr(NEW.id, 25))
    WHERE id = NEW.id;
END;
