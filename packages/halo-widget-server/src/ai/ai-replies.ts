import { readAiApiKey, resolveAiConfig, type AiConfig, type ResolvedAiConfig } from './ai-config.js';
import type { ConversationMessage as PromptMessageIn, PromptIdentity } from './build-prompt.js';
import { createModelClient, type ModelClient, type ModelUsage } from './model-client.js';
import { createResponder, type AiReply, type Responder, type ResponderPorts } from './responder.js';
import type { MessageUsage, SupportStore } from '../store/conversation-model.js';
import { newId } from '../store/store.js';
import type { HaloLogger } from '../types.js';
import { safeLog } from '../ops/safe-log.js';

/** The newest messages `isHandedOff` looks through for an agent's reply or a handoff (one store page). */
const HANDOFF_LOOKBACK = 200;
/** The client_message_id prefix of a stored handoff notice: how any instance knows the AI was asked to stop. */
const HANDOFF_MARK = 'handoff:';
/** Conversation owners kept per project for deltas (a reply in flight is always among the newest). */
const MAX_OWNERS = 10_000;

/** What the chat call needs of the AI: whether a project answers with it, and a reply started without waiting. */
export interface AiReplies {
  /** Whether `project` (a widget key) answers with the model instead of `respond()`. */
  has(project: string): boolean;
  /**
   * Starts the reply to the conversation's newest user message and returns at once (the chat
   * call never waits for the model: no-wait-for-model). The reply streams as `message.delta`
   * events and is stored once.
   */
  start(project: string, owner: string, conversationId: string, identity: PromptIdentity): void;
  /** The project's token usage summed over its stored AI replies since this instance started. */
  usage(project: string): { replies: number; promptTokens: number; completionTokens: number } | null;
  /** Resolves when no reply is in flight (tests, benchmarks). */
  idle(): Promise<void>;
  /** Cancels replies in flight (they get the fallback) and starts no more; before the store closes. */
  close(): Promise<void>;
}

/** Options of {@link createAiReplies}. */
export interface AiRepliesOptions {
  /** The `"ai"` sections by widget key (a project's own, else the config's top-level one), checked at start. */
  configs: ReadonlyMap<string, AiConfig>;
  /**
   * The live section of a project, read on every call (projects edited in `/admin`). A changed
   * section rebuilds the project's responder; one that fails (no key in the variable) is reported
   * once and the project answers with `respond()` until it changes. @default `configs.get`
   */
  lookup?: (project: string) => AiConfig | undefined;
  store: SupportStore;
  logger: HaloLogger;
  env?: NodeJS.ProcessEnv;
  /** For tests: the model client of a project (its key is still read, so a missing one fails at start). */
  model?: (config: ResolvedAiConfig, apiKey: string) => Pick<ModelClient, 'streamReply'>;
}

const usageOf = (usage: ModelUsage | null): MessageUsage | undefined =>
  usage ? { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens } : undefined;

/**
 * One responder per project with an `"ai"` section, its ports on the support store: the window
 * from `readMessages`, replies through `appendMessage` (idempotent by the reply's id, with
 * `in_reply_to` and usage), deltas through `publishDelta` (every instance's channels hear them),
 * `needs_human` through `updateConversation`. Throws at start for a bad section or a missing key.
 */
export function createAiReplies(options: AiRepliesOptions): AiReplies {
  const { store, logger } = options;
  type Usage = { replies: number; promptTokens: number; completionTokens: number };

  type Entry = { responder: Responder; owners: Map<string, string>; usage: Usage };
  // Per project: the section it was built from (by identity, then by value), its responder or null when it failed.
  const built = new Map<string, { raw: AiConfig; text: string; entry: Entry | null }>();
  // Usage and owners outlive a rebuild: they are the project's, not one config's.
  const usages = new Map<string, Usage>();
  const ownersOf = new Map<string, Map<string, string>>();
  // Responders replaced by a change: they finish their replies in flight, and close() still reaches them.
  const retired = new Set<Responder>();

  function build(project: string, raw: AiConfig): Entry {
    const config = resolveAiConfig(raw, `ai (${project})`);
    const apiKey = readAiApiKey(config, options.env);
    const model = options.model ? options.model(config, apiKey) : createModelClient({ config, apiKey, logger });
    // Deltas need the conversation's owner (the channel is per owner): kept while a reply is in flight.
    const owners = ownersOf.get(project) ?? new Map<string, string>();
    ownersOf.set(project, owners);
    const usage = usages.get(project) ?? { replies: 0, promptTokens: 0, completionTokens: 0 };
    usages.set(project, usage);
    const ports: ResponderPorts = {
      async loadWindow(conversationId) {
        const page = await store.readMessages(project, conversationId, { limit: Math.min(HANDOFF_LOOKBACK, config.historyWindow * 2) });
        return (page?.messages ?? []).map((m): PromptMessageIn => ({
          id: m.id,
          author: m.author,
          text: m.text,
          inReplyTo: m.in_reply_to ?? null,
        }));
      },
      async storeReply(conversationId, reply: AiReply) {
        const stored = await store.appendMessage(project, conversationId, {
          author: 'assistant',
          id: reply.id,
          text: reply.text,
          client_message_id: reply.kind === 'handoff' ? `${HANDOFF_MARK}${reply.id}` : reply.id,
          usage: usageOf(reply.usage),
          in_reply_to: reply.inReplyTo,
        });
        if (stored && reply.usage) {
          usage.replies += 1;
          usage.promptTokens += reply.usage.promptTokens;
          usage.completionTokens += reply.usage.completionTokens;
        }
      },
      emitDelta(conversationId, delta) {
        const owner = owners.get(conversationId);
        if (!owner || !store.publishDelta) return;
        store
          .publishDelta({ type: 'message.delta', project, conversation_id: conversationId, owner, id: delta.id, text: delta.text })
          .catch((error: unknown) =>
            safeLog(logger, 'warn', () => ['[halo] ai: a delta was not published (the stored reply follows):', error]),
          );
      },
      async markNeedsHuman(conversationId) {
        await store.updateConversation(project, conversationId, { needs_human: true });
      },
      async isHandedOff(conversationId) {
        const page = await store.readMessages(project, conversationId, { limit: HANDOFF_LOOKBACK });
        return (page?.messages ?? []).some((m) => m.author === 'agent' || m.client_message_id?.startsWith(HANDOFF_MARK));
      },
    };
    const responder = createResponder({ config, model, ports, logger, newId: () => newId('msg') });
    return { responder, owners, usage };
  }

  const lookup = options.lookup ?? ((project: string) => options.configs.get(project));
  /** The project's responder for its current section, rebuilt when the section changed; null without one. */
  function entryOf(project: string): Entry | null {
    const raw = lookup(project);
    const kept = built.get(project);
    if (!raw) {
      if (kept) retire(project, kept.entry);
      return null;
    }
    if (kept?.raw === raw) return kept.entry;
    // The live list is rebuilt every refresh: equal text is the same section, its breaker and limiter kept.
    const text = JSON.stringify(raw);
    if (kept?.text === text) {
      kept.raw = raw;
      return kept.entry;
    }
    if (kept) retire(project, kept.entry);
    let entry: Entry | null = null;
    try {
      entry = build(project, raw);
      safeLog(logger, 'info', () => [`[halo] ai: ${project} answers with the model from now on (its "ai" section was set or changed).`]);
    } catch (error) {
      // Only AiError's message, which never quotes a value (so never a key): the project answers with respond().
      safeLog(logger, 'error', () => [
        `[halo] ai: ${project} answers with respond() until its "ai" section is fixed:`,
        error instanceof Error ? error.message : typeof error,
      ]);
    }
    built.set(project, { raw, text, entry });
    return entry;
  }
  function retire(project: string, entry: Entry | null) {
    built.delete(project);
    if (!entry) return;
    retired.add(entry.responder);
    void entry.responder.idle().then(() => retired.delete(entry.responder));
  }

  // The config file's sections are checked now: a bad one or a missing key stops the start, as before.
  for (const [project, raw] of options.configs) built.set(project, { raw, text: JSON.stringify(raw), entry: build(project, raw) });

  const responders = () => [...[...built.values()].flatMap((b) => (b.entry ? [b.entry.responder] : [])), ...retired];
  return {
    has: (project) => entryOf(project) !== null,
    start(project, owner, conversationId, identity) {
      const entry = entryOf(project);
      if (!entry) return;
      // A conversation's owner never changes, so a kept entry is never wrong; the map is only bounded.
      entry.owners.delete(conversationId);
      entry.owners.set(conversationId, owner);
      if (entry.owners.size > MAX_OWNERS) entry.owners.delete(entry.owners.keys().next().value!);
      // Never rejects: the responder reports its own failures.
      void entry.responder.reply({ conversationId, identity });
    },
    usage: (project) => {
      const usage = usages.get(project);
      return usage ? { ...usage } : null;
    },
    async idle() {
      await Promise.all(responders().map((responder) => responder.idle()));
    },
    async close() {
      await Promise.all(responders().map((responder) => responder.close()));
    },
  };
}

/** The `"ai"` section of every project that has one: its own (`projects[i].ai`), else the config's (`ai`). */
export function aiConfigsOf(config: {
  ai?: AiConfig;
  projects: ReadonlyArray<{ widgetKey: string; ai?: AiConfig }>;
}): Map<string, AiConfig> {
  const configs = new Map<string, AiConfig>();
  for (const project of config.projects) {
    const section = project.ai ?? config.ai;
    if (section) configs.set(project.widgetKey, section);
  }
  return configs;
}

/** The live `"ai"` section of a project: its own in the (live) project list, else the config's. */
export function aiLookupOf(config: {
  ai?: AiConfig;
  projects: ReadonlyArray<{ widgetKey: string; ai?: AiConfig }>;
}): (project: string) => AiConfig | undefined {
  return (project) => config.projects.find((p) => p.widgetKey === project)?.ai ?? config.ai;
}
