// The names and types the issues and docs/protocol.md promise, checked where a rename or a
// widened type would break users: the value exports of each entry at run time, and the
// literal types under `npm run typecheck` (expectTypeOf fails to compile when they drift).
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  GetUserTokenContext,
  HaloClient,
  HaloError,
  HaloEventMap,
  HaloOptions,
  CancelledReason,
  IdentityExpiredEvent,
  IdentityExpiredReason,
  PendingMessage,
  SendOptions,
} from '../src/index.js';
import * as core from '../src/index.js';
import * as react from '../src/react/index.js';
import * as server from '../src/server/index.js';
import * as service from '../../halo-widget-server/src/index.js';

describe('the public API', () => {
  it('exports createHalo, Halo, HaloError and isHaloError from halo-widget', () => {
    expect(Object.keys(core)).toEqual(expect.arrayContaining(['Halo', 'HaloError', 'createHalo', 'isHaloError']));
  });

  it('exports HaloProvider, useHalo, useIdentityState, useHaloEvent, useIsOpen and useUnreadCount from halo-widget/react', () => {
    expect(Object.keys(react)).toEqual(
      expect.arrayContaining(['HaloProvider', 'useHalo', 'useHaloEvent', 'useIdentityState', 'useIsOpen', 'useUnreadCount']),
    );
  });

  it('exports the token functions from halo-widget/server, and nothing of the service', () => {
    expect(Object.keys(server).sort()).toEqual([
      'findSecret',
      'generateProjectKeys',
      'parseDuration',
      'signUserToken',
      'verifyUserToken',
      'verifyUserTokenSync',
    ]);
  });

  it('exports the API and every store factory from halo-widget-server', () => {
    for (const name of ['createHaloApi', 'startHaloServer', 'createMemoryStore', 'createPostgresStore', 'createEmbeddedStore']) {
      expect(typeof (service as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('types the client’s teardown, panel state and unread count, and the events that follow them', () => {
    expectTypeOf<HaloClient['destroy']>().toEqualTypeOf<() => void>();
    expectTypeOf<HaloClient['isOpen']>().toEqualTypeOf<() => boolean>();
    expectTypeOf<HaloClient['getUnreadCount']>().toEqualTypeOf<() => number>();
    expectTypeOf<HaloEventMap['open']>().toEqualTypeOf<undefined>();
    expectTypeOf<HaloEventMap['close']>().toEqualTypeOf<undefined>();
    expectTypeOf<HaloEventMap['unread']>().toEqualTypeOf<number>();
  });

  it('gives getUserToken an AbortSignal and types every reason as a literal union', () => {
    expectTypeOf<GetUserTokenContext['signal']>().toEqualTypeOf<AbortSignal>();
    expectTypeOf<NonNullable<HaloOptions['getUserToken']>>().parameter(0).toEqualTypeOf<GetUserTokenContext>();
    expectTypeOf<IdentityExpiredReason>().toEqualTypeOf<
      'token_missing' | 'token_expired' | 'token_invalid' | 'user_mismatch' | 'token_refresh_failed'
    >();
    expectTypeOf<IdentityExpiredEvent['reason']>().toEqualTypeOf<IdentityExpiredReason>();
    // `cancelled` says whether an attempt may have been stored (delivered-exactly-once).
    expectTypeOf<CancelledReason>().toEqualTypeOf<'not_sent' | 'maybe_stored'>();
    expectTypeOf<HaloError['reason']>().toEqualTypeOf<IdentityExpiredReason | CancelledReason | undefined>();
  });

  it('types the queue API of delivered-exactly-once', () => {
    expectTypeOf<HaloClient['getPendingMessages']>().toEqualTypeOf<() => readonly PendingMessage[]>();
    expectTypeOf<HaloClient['cancel']>().toEqualTypeOf<(clientMessageId: string) => boolean>();
    expectTypeOf<HaloEventMap['pending']>().toEqualTypeOf<readonly PendingMessage[]>();
    expectTypeOf<PendingMessage['state']>().toEqualTypeOf<'queued' | 'sending' | 'retrying' | 'held'>();
    expectTypeOf<SendOptions['clientMessageId']>().toEqualTypeOf<string | undefined>();
  });
});
