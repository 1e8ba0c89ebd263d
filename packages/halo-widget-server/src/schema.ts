// The service's whole schema, composed here from each capability's migrations, so the store
// (which applies them) depends on no capability's code: conversations and messages (store/),
// the admin surface's settings, secrets, audit log and report (admin/), agent accounts,
// sessions and API tokens (agents/). Versions are disjoint ranges per capability.
import { AGENT_MIGRATIONS } from './agents/agent-migrations.js';
import { ADMIN_MIGRATIONS } from './admin/admin-migrations.js';
import { CONVERSATION_MIGRATIONS, type Migration } from './store/migrations.js';

/** Every migration of the service, in version order (the order `migrate()` applies them). */
export const MIGRATIONS: readonly Migration[] = [...CONVERSATION_MIGRATIONS, ...ADMIN_MIGRATIONS, ...AGENT_MIGRATIONS].sort(
  (a, b) => a.version - b.version,
);
