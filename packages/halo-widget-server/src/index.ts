export { signUserToken } from 'halo-widget/server';
export type { SignUserTokenOptions, UserTokenClaims } from 'halo-widget/server';
export { verifyUserToken } from 'halo-widget/server';
export type { VerifyFailure, VerifyResult, VerifyUserTokenOptions } from 'halo-widget/server';
export { generateProjectKeys } from 'halo-widget/server';
export type { ProjectKeys } from 'halo-widget/server';
export { createHaloApi } from './sdk-api/create-halo-api.js';
export type { HaloApiConfig, HaloLogger, ProjectConfig, VerificationMode } from './types.js';
export { startHaloServer } from './http/start-halo-server.js';
export type { HaloServer, StartHaloServerOptions } from './http/start-halo-server.js';
export type { ConnectionLimits } from './http/connection-limits.js';
export type { TrustProxy } from './http/client-address.js';
export type { TraitLimits } from './identity/traits.js';
export { createMemoryStore } from './store/memory-store.js';
export type { MemoryStoreOptions } from './store/memory-store.js';
export type {
  ChatOpening,
  ChatResult,
  ComposedExchange,
  ComposedMessage,
  ConversationCaps,
  ConversationStore,
  StoredConversation,
  StoredMessage,
} from './store/store.js';
export type {
  Author,
  ConversationListItem,
  ConversationListPage,
  ConversationMessage,
  ConversationPatch,
  ConversationStatus,
  ConversationSummary,
  ConversationUser,
  ListConversationsQuery,
  MessagePage,
  MessageRange,
  MessageUsage,
  NewMessage,
  StoreEvent,
  StoreNotifier,
  SupportStore,
  UserPanel,
} from './store/conversation-model.js';
export { ConversationFullError, isConversationFull } from './store/conversation-full-error.js';
export type { ConversationCap } from './store/conversation-full-error.js';
export { createPostgresStore } from './store/create-postgres-store.js';
export type { PostgresStoreOptions } from './store/create-postgres-store.js';
export { createEmbeddedStore } from './store/create-embedded-store.js';
export type { EmbeddedStoreOptions } from './store/create-embedded-store.js';
export type { SqlConversationStore } from './store/sql-store.js';
export { createPgClient, createPgliteClient } from './store/sql-client.js';
export type { PgClientOptions, PgliteLike, SqlClient, SqlQueryable, SqlResult } from './store/sql-client.js';
export { migrate } from './store/migrate.js';
export { MIGRATIONS } from './schema.js';
export type { Migration } from './store/migrations.js';
export { isStoreUnavailable, StoreUnavailableError } from './store/store-unavailable-error.js';
export { defaultRespond } from './sdk-api/respond.js';
export type { Respond, RespondContext, RespondUser } from './sdk-api/respond.js';
export { createRateLimiter } from './limits/rate-limiter.js';
export type { RateDecision, RateLimitConfig, RateLimiter } from './limits/rate-limiter.js';
export { createMemoryAdminStore } from './admin/memory-admin-store.js';
export type {
  AdminStore,
  AuditEntry,
  IdentityBatch,
  IdentityResult,
  IdentityRows,
  ProjectSettings,
  SecretRecord,
} from './admin/admin-store.js';
export { createAdminSurface } from './admin/admin-server.js';
export type { AdminServerOptions, AdminSurface } from './admin/admin-server.js';
export type { AdminOperations, ProjectView, SecretView, SettingsPatch } from './admin/admin-operations.js';
export type { IdentityReport, ReportWindow, ResultLine, WindowReport } from './admin/identity-report.js';
export { createSqlAdminStore } from './admin/sql-admin-store.js';
export type { AdminSqlClient, AdminSqlQueryable } from './admin/sql-admin-store.js';
export { createMemoryAgentStore } from './agents/memory-agent-store.js';
export { createSqlAgentStore } from './agents/sql-agent-store.js';
export { createAgent, issueApiToken } from './agents/agent-accounts.js';
export type { NewAgent } from './agents/agent-accounts.js';
export type { AgentAccount, AgentRole, AgentStore } from './agents/agent-store.js';
export type { AgentServerOptions } from './agents/agent-server.js';
