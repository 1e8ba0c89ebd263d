import {
  USERS_PER_BUCKET,
  VERSIONS_PER_BUCKET,
  type AdminStore,
  type AuditEntry,
  type IdentityResult,
  type IdentityRows,
  type ProjectSettings,
} from './admin-store.js';

/** Audit lines kept per project in memory (the SQL store keeps them all). */
const AUDIT_LIMIT = 1000;

interface Bucket {
  counts: Map<IdentityResult, number>;
  users: Map<IdentityResult, Set<string>>;
  versions: Map<string, number>;
}

const copy = (project: ProjectSettings): ProjectSettings => structuredClone(project);

/**
 * The in-memory {@link AdminStore}: for one process (tests, the demo, a single server).
 * Settings changed here are lost at exit; use the SQL store to share them between instances.
 */
export function createMemoryAdminStore(): AdminStore {
  const projects = new Map<string, ProjectSettings>();
  const audit = new Map<string, AuditEntry[]>();
  // By project, then hour bucket start.
  const buckets = new Map<string, Map<number, Bucket>>();

  const log = (entry: AuditEntry) => {
    let list = audit.get(entry.widgetKey);
    if (!list) audit.set(entry.widgetKey, (list = []));
    list.push(entry);
    if (list.length > AUDIT_LIMIT) list.splice(0, list.length - AUDIT_LIMIT);
  };

  return {
    listProjects: async () => [...projects.values()].map(copy),
    getProject: async (widgetKey) => {
      const project = projects.get(widgetKey);
      return project ? copy(project) : null;
    },
    createProject: async (project, entry) => {
      if (projects.has(project.widgetKey)) return false;
      projects.set(project.widgetKey, copy(project));
      log(entry);
      return true;
    },
    mutateProject: async (widgetKey, change, at) => {
      const current = projects.get(widgetKey);
      if (!current) return null;
      // Synchronous from read to write: no other change can interleave in one process.
      const { next, audit: line, result } = change(copy(current));
      projects.set(widgetKey, copy({ ...next, updatedAt: at }));
      log({ ...line, at, widgetKey });
      return result;
    },
    listAudit: async (widgetKey, limit) =>
      (audit.get(widgetKey) ?? [])
        .slice(-limit)
        .reverse()
        .map((entry) => structuredClone(entry)),
    addIdentityBatches: async (batches) => {
      for (const batch of batches) {
        let hours = buckets.get(batch.widgetKey);
        if (!hours) buckets.set(batch.widgetKey, (hours = new Map<number, Bucket>()));
        let bucket = hours.get(batch.hour);
        if (!bucket) hours.set(batch.hour, (bucket = { counts: new Map(), users: new Map(), versions: new Map() }));
        for (const [result, count] of Object.entries(batch.counts) as [IdentityResult, number][]) {
          bucket.counts.set(result, (bucket.counts.get(result) ?? 0) + count);
        }
        for (const [result, ids] of Object.entries(batch.users) as [IdentityResult, string[]][]) {
          let set = bucket.users.get(result);
          if (!set) bucket.users.set(result, (set = new Set()));
          for (const id of ids) if (set.size < USERS_PER_BUCKET) set.add(id);
        }
        for (const [version, count] of Object.entries(batch.versions)) {
          const name = bucket.versions.has(version) || bucket.versions.size < VERSIONS_PER_BUCKET ? version : 'other';
          bucket.versions.set(name, (bucket.versions.get(name) ?? 0) + count);
        }
      }
    },
    readIdentity: async (widgetKey, sinceHour) => {
      const rows: IdentityRows = { counts: [], users: [], versions: [] };
      for (const [hour, bucket] of buckets.get(widgetKey) ?? new Map<number, Bucket>()) {
        if (hour < sinceHour) continue;
        for (const [result, count] of bucket.counts) rows.counts.push({ hour, result, count });
        for (const [result, set] of bucket.users) for (const userId of set) rows.users.push({ hour, result, userId });
        for (const [version, count] of bucket.versions) rows.versions.push({ hour, version, count });
      }
      return rows;
    },
    pruneIdentity: async (beforeHour) => {
      for (const hours of buckets.values()) for (const hour of [...hours.keys()]) if (hour < beforeHour) hours.delete(hour);
    },
  };
}
