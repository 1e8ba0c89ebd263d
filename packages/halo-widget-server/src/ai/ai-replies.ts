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
  /** The `"ai"` sections by widget key (a project's own, else the config's top-level one). */
  configs: ReadonlyMap<string, AiConfig>;
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
  const projects = new Map<
    string,
    { responder: Responder; owners: Map<string, string>; usage: { replies: number; promptTokens: number; completionTokens: number } }
  >();

  for (const [project, raw] of options.configs) {
    const config = resolveAiConfig(raw, `ai (${project})`);
    const apiKey = readAiApiKey(config, options.env);
    const model = options.model ? options.model(config, apiKey) : createModelClient({ config, apiKey, logger });
    // Deltas need the conversation's owner (the channel is per owner): kept while a reply is in flight.
    const owners = new Map<string, string>();
    const usage = { replies: 0, promptTokens: 0, completionTokens: 0 };
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
    projects.set(project, { responder, owners, usage });
  }

  return {
    has: (project) => projects.has(project),
    start(project, owner, conversationId, identity) {
      const entry = projects.get(project);
      if (!entry) return;
      // A conversation's owner never changes, so a kept entry is never wrong; the map is only bounded.
      entry.owners.delete(conversationId);
      entry.owners.set(conversationId, owner);
      if (entry.owners.size > MAX_OWNERS) entry.owners.delete(entry.owners.keys().next().value!);
      // Never rejects: the responder reports its own failures.
      void entry.responder.reply({ conversationId, identity });
    },
    usage: (project) => {
      const entry = projects.get(project);
      return entry ? { ...entry.usage } : null;
    },
    async idle() {
      await Promise.all([...projects.values()].map((entry) => entry.responder.idle()));
    },
    async close() {
      await Promise.all([...projects.values()].map((entry) => entry.responder.close()));
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
