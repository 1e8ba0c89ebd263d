import type { IncomingMessage } from 'node:http';
import { MAX_CLIENT_MESSAGE_ID, MAX_MESSAGE_CHARS } from 'halo-widget/protocol';
import { ApiError } from '../http/http.js';
import { canSee } from '../agents/agent-accounts.js';
import type { AgentAccount } from '../agents/agent-store.js';
import type { ConversationListPage, ConversationSummary, ListConversationsQuery, SupportStore } from '../store/conversation-model.js';

/** Messages a conversation view shows at most (the newest). */
export const VIEW_MESSAGES = 200;
const PAGE = 50;
const ID = '([A-Za-z0-9_:.-]{1,128})';

/** One agent API route: `rest` is the path after `/api/agent/`; params are the pattern's groups. */
export interface InboxRoute {
  method: 'GET' | 'POST';
  pattern: RegExp;
  run: (ctx: { req: IncomingMessage; agent: AgentAccount; params: string[]; body: Record<string, unknown> }) => Promise<[number, unknown]>;
}

/** What the agent API's changes report: the audit line's account, action and conversation. */
export type InboxAuditListener = (agent: AgentAccount, action: string, project: string, conversationId: string) => void;

const notFound = () => new ApiError(404, 'not_found', 'No such conversation.');

/** A list page; a cursor or limit the store refuses (its `TypeError`) is the caller's mistake: 400. */
async function listPage(store: SupportStore, query: ListConversationsQuery): Promise<ConversationListPage> {
  try {
    return await store.listConversations(query);
  } catch (error) {
    if (error instanceof TypeError) throw new ApiError(400, 'invalid_request', '`after` is not a cursor of this list.');
    throw error;
  }
}

/**
 * The inbox's JSON routes under `/api/agent/`: the conversation list, one conversation with
 * its user panel, a reply, status and assignee. Every conversation of a project the agent may
 * not see answers 404, the same as one that does not exist.
 */
export function inboxRoutes(store: SupportStore, projectKeys: () => string[], audit: InboxAuditListener): InboxRoute[] {
  /** The conversation `id` in a project the agent may see, or a 404. */
  async function locate(agent: AgentAccount, id: string): Promise<ConversationSummary> {
    const found = await store.locateConversation(agent.projects ?? projectKeys(), id);
    if (!found) throw notFound();
    return found;
  }

  return [
    {
      method: 'GET',
      pattern: /^conversations$/,
      run: async ({ req, agent }) => {
        const params = new URL(req.url ?? '/', 'http://x').searchParams;
        const status = params.get('status');
        if (status !== null && status !== 'open' && status !== 'resolved')
          throw new ApiError(400, 'invalid_request', '`status` must be open or resolved.');
        const verified = params.get('verified');
        if (verified !== null && verified !== 'true' && verified !== 'false')
          throw new ApiError(400, 'invalid_request', '`verified` must be true or false.');
        const widgetKey = params.get('widget_key');
        // A project outside the agent's scope lists nothing, like one without conversations.
        const projects = widgetKey ? (canSee(agent, widgetKey) ? [widgetKey] : []) : (agent.projects ?? projectKeys());
        const q = (params.get('q') ?? '').trim().slice(0, 200);
        const after = params.get('after') ?? undefined;
        if (after !== undefined && after.length > 500) throw new ApiError(400, 'invalid_request', '`after` is not a cursor of this list.');
        const limit = Math.min(Math.max(Number(params.get('limit') ?? PAGE) || PAGE, 1), 100);
        if (projects.length === 0) return [200, { conversations: [], next: null }];
        const page = await listPage(store, {
          projects,
          status: status ?? undefined,
          verified: verified === null ? undefined : verified === 'true',
          q: q || undefined,
          after,
          limit,
        });
        return [200, page];
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^conversations/${ID}$`),
      run: async ({ agent, params: [id] }) => {
        const conversation = await locate(agent, id!);
        const [page, user] = await Promise.all([
          store.readMessages(conversation.project, conversation.id, { limit: VIEW_MESSAGES }),
          store.getUserPanel(conversation.project, conversation.owner),
        ]);
        if (!page) throw notFound();
        return [200, { conversation, messages: page.messages, has_more: page.has_more, user }];
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^conversations/${ID}/messages$`),
      run: async ({ agent, params: [id], body }) => {
        const text = typeof body.text === 'string' ? body.text.trim() : '';
        if (!text || text.length > MAX_MESSAGE_CHARS)
          throw new ApiError(400, 'invalid_request', `\`text\` must be 1–${MAX_MESSAGE_CHARS} characters.`);
        const cmid = body.client_message_id;
        if (typeof cmid !== 'string' || !cmid || cmid.length > MAX_CLIENT_MESSAGE_ID)
          throw new ApiError(400, 'invalid_request', `\`client_message_id\` must be a string of 1–${MAX_CLIENT_MESSAGE_ID} characters.`);
        const conversation = await locate(agent, id!);
        const message = await store.appendMessage(conversation.project, conversation.id, {
          author: 'agent',
          agent: { id: agent.id, name: agent.name },
          text,
          client_message_id: cmid,
        });
        if (!message) throw notFound();
        audit(agent, 'message.reply', conversation.project, conversation.id);
        return [201, { message }];
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^conversations/${ID}/status$`),
      run: async ({ agent, params: [id], body }) => {
        if (body.status !== 'open' && body.status !== 'resolved')
          throw new ApiError(400, 'invalid_request', '`status` must be "open" or "resolved".');
        const conversation = await locate(agent, id!);
        const updated = await store.updateConversation(conversation.project, conversation.id, { status: body.status });
        if (!updated) throw notFound();
        audit(agent, `conversation.${body.status === 'open' ? 'reopen' : 'resolve'}`, conversation.project, conversation.id);
        return [200, { conversation: updated }];
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^conversations/${ID}/assignee$`),
      run: async ({ agent, params: [id], body }) => {
        if (body.assignee !== 'me' && body.assignee !== null)
          throw new ApiError(400, 'invalid_request', '`assignee` must be "me" or null.');
        const conversation = await locate(agent, id!);
        const assignee = body.assignee === 'me' ? agent.id : null;
        const updated = await store.updateConversation(conversation.project, conversation.id, { assignee });
        if (!updated) throw notFound();
        audit(agent, assignee ? 'conversation.assign' : 'conversation.unassign', conversation.project, conversation.id);
        return [200, { conversation: updated }];
      },
    },
  ];
}
