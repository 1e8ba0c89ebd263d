import { createHmac } from 'node:crypto';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { prng } from '../../../../test/helpers/prng.mjs';
import { verifyUserToken } from '../../src/server/index.js';

// A differential test: verifyUserToken and jose's jwtVerify (an independent implementation)
// judge the same generated and mutated tokens with the same secret, the same clock and the
// same rules (hs256-only, clock-tolerance, user-id-must-match), and must agree on accept or
// reject for every one. The generator is seeded, so a failure names a reproducible case.

const SECRET = 'ha_secret_differential-test-secret-0123456789abcdefghijklmnopq';
const OTHER_SECRETS = ['ha_secret_another-project-secret-0123456789abcdefghijklmnopqr', `${SECRET}x`, SECRET.slice(0, -1), 'ha_secret_'];
const TOLERANCE = 30;
const MAX_TOKEN_BYTES = 8 * 1024;
const CASES_PER_CATEGORY = 900;
const key = new TextEncoder().encode(SECRET);

// Seeded, so every run generates the same tokens.
const random = prng(0x5eed1234);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

const b64u = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');
const hmac = (input: string, secret: string, hash = 'sha256') =>
  createHmac(hash, Buffer.from(secret, 'utf8')).update(input).digest('base64url');
/** A compact token from raw header and payload JSON text (so duplicate keys and odd spellings survive). */
const signRaw = (headerJson: string | Buffer, payloadJson: string | Buffer, secret = SECRET, hash = 'sha256') => {
  const input = `${b64u(headerJson)}.${b64u(payloadJson)}`;
  return `${input}.${hmac(input, secret, hash)}`;
};
/** Re-signs a token's first two segments as they are spelled. */
const resign = (head: string, body: string, secret = SECRET) => `${head}.${body}.${hmac(`${head}.${body}`, secret)}`;
const HEADER = '{"alg":"HS256","typ":"JWT"}';

interface Case {
  category: string;
  token: string;
  /** The request's user_id. */
  userId: string;
  /** The clock, in milliseconds. */
  nowMs: number;
}

const USERS = ['alice', 'bob', 'user_42', 'Ünïcødé', '42', 'a'.repeat(256)];
/** An integer second, or a time within a second, so both sides floor alike. */
const someNow = () => 1_800_000_000_000 + int(100_000) * 1000 + (random() < 0.5 ? 0 : int(1000));

function validClaims(nowS: number, userId: string): Record<string, unknown> {
  const claims: Record<string, unknown> = { user_id: userId };
  if (random() < 0.9) claims.exp = nowS + 60 + int(86_400);
  if (random() < 0.8) claims.iat = nowS - int(3600);
  if (random() < 0.3) claims.nbf = nowS - int(3600);
  if (random() < 0.5) claims.name = pick(['Alice', 'Bob', 'Zoë', '山田']);
  if (random() < 0.3) claims.plan = pick(['pro', 'free']);
  if (random() < 0.2) Object.assign(claims, { iss: 'app', aud: 'halo', sub: userId, jti: String(int(1e9)) });
  return claims;
}

function validCase(category: string): Case {
  const nowMs = someNow();
  const userId = pick(USERS);
  return { category, token: signRaw(HEADER, JSON.stringify(validClaims(Math.floor(nowMs / 1000), userId))), userId, nowMs };
}

/** Changes one bit of a segment's decoded bytes and spells it again. */
function flipBit(segment: string): string {
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.length === 0) return segment;
  const at = int(bytes.length);
  bytes[at] = bytes[at]! ^ (1 << int(8));
  return b64u(bytes);
}

/** Another spelling of the same bytes: spare bits of the last character set (when it has any). */
function respell(segment: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const spare = segment.length % 4 === 2 ? 4 : segment.length % 4 === 3 ? 2 : 0;
  if (spare === 0) return segment;
  const last = alphabet.indexOf(segment.at(-1)!);
  return segment.slice(0, -1) + alphabet[last | (1 + int((1 << spare) - 1))]!;
}

const generators: Record<string, () => Case> = {
  valid: () => validCase('valid'),

  'signed with another secret': () => {
    const c = validCase('signed with another secret');
    const [head, body] = c.token.split('.');
    return { ...c, token: resign(head!, body!, pick(OTHER_SECRETS)) };
  },

  'bit flip (not re-signed)': () => {
    const c = validCase('bit flip (not re-signed)');
    const parts = c.token.split('.');
    const part = int(3);
    parts[part] = flipBit(parts[part]!);
    return { ...c, token: parts.join('.') };
  },

  'bit flip in header or payload (re-signed)': () => {
    const c = validCase('bit flip in header or payload (re-signed)');
    const [head, body] = c.token.split('.') as [string, string];
    // Flipped bytes may break the JSON, the UTF-8 or a claim's value while the MAC is valid.
    return { ...c, token: random() < 0.3 ? resign(flipBit(head), body) : resign(head, flipBit(body)) };
  },

  'header and alg variants': () => {
    const c = validCase('header and alg variants');
    const body = c.token.split('.')[1]!;
    const headers: [string, string][] = [
      ['{"alg":"none","typ":"JWT"}', 'sha256'],
      ['{"alg":"none"}', 'none'],
      ['{"alg":"HS384","typ":"JWT"}', 'sha384'],
      ['{"alg":"HS512"}', 'sha512'],
      ['{"alg":"RS256","typ":"JWT"}', 'sha256'],
      ['{"alg":"ES256"}', 'sha256'],
      ['{"alg":"hs256"}', 'sha256'],
      ['{"alg":"HS256 "}', 'sha256'],
      ['{"typ":"JWT"}', 'sha256'],
      ['{"alg":null}', 'sha256'],
      ['{"alg":["HS256"]}', 'sha256'],
      ['{"alg":"HS256"}', 'sha256'],
      ['{"alg":"HS256","typ":"at+jwt","kid":"k1","jku":"https://x.example"}', 'sha256'],
      ['{"alg":"none","alg":"HS256"}', 'sha256'],
      ['{"alg":"HS256","alg":"none"}', 'sha256'],
      ['{"alg":"HS256","crit":["b64"],"b64":true}', 'sha256'],
      ['{"alg":"HS256","crit":["b64"],"b64":false}', 'sha256'],
      ['{"alg":"HS256","crit":["exp"],"exp":1}', 'sha256'],
      ['{"alg":"HS256","crit":[]}', 'sha256'],
      ['{"alg":"HS256","crit":null}', 'sha256'],
      ['{"alg":"HS256","b64":false}', 'sha256'],
      ['["alg","HS256"]', 'sha256'],
      ['"HS256"', 'sha256'],
      ['null', 'sha256'],
      ['{"alg":"HS256"', 'sha256'],
      ['{"alg":"HS256","__proto__":{"alg":"none"}}', 'sha256'],
    ];
    const [header, hash] = pick(headers);
    const head = b64u(header);
    const signature = hash === 'none' ? '' : hmac(`${head}.${body}`, SECRET, hash);
    return { ...c, token: `${head}.${body}.${signature}` };
  },

  'padding, whitespace and alphabet': () => {
    const c = validCase('padding, whitespace and alphabet');
    const parts = c.token.split('.') as [string, string, string];
    const part = int(3);
    const segment = parts[part];
    const mutations = [
      (s: string) => s + '='.repeat((4 - (s.length % 4)) % 4 || 4),
      (s: string) => s + '=',
      (s: string) => s + '==',
      (s: string) => `${s.slice(0, 4)} ${s.slice(4)}`,
      (s: string) => `${s}\n`,
      (s: string) => s.replace(/-/g, '+').replace(/_/g, '/'),
      (s: string) => `${s}A`, // one character too many: not a whole byte
      (s: string) => s.slice(0, -1),
    ];
    parts[part] = pick(mutations)(segment);
    // A header or payload mutation is re-signed, so only its spelling is judged.
    const token = part < 2 && random() < 0.7 ? resign(parts[0], parts[1]) : parts.join('.');
    return { ...c, token };
  },

  'non-canonical base64url': () => {
    const c = validCase('non-canonical base64url');
    const parts = c.token.split('.') as [string, string, string];
    const part = int(3);
    parts[part] = respell(parts[part]);
    return { ...c, token: part < 2 ? resign(parts[0], parts[1]) : parts.join('.') };
  },

  'duplicate keys': () => {
    const nowMs = someNow();
    const nowS = Math.floor(nowMs / 1000);
    const userId = pick(USERS);
    const other = pick(USERS.filter((u) => u !== userId));
    const payloads = [
      `{"user_id":${JSON.stringify(other)},"user_id":${JSON.stringify(userId)},"exp":${nowS + 600}}`,
      `{"user_id":${JSON.stringify(userId)},"user_id":${JSON.stringify(other)},"exp":${nowS + 600}}`,
      `{"user_id":${JSON.stringify(userId)},"exp":${nowS - 600},"exp":${nowS + 600}}`,
      `{"user_id":${JSON.stringify(userId)},"exp":${nowS + 600},"exp":${nowS - 600}}`,
      `{"user_id":${JSON.stringify(userId)},"nbf":${nowS + 600},"nbf":${nowS}}`,
      `{"user_id":${JSON.stringify(userId)},"plan":"free","plan":"pro"}`,
      `{"user_id":${JSON.stringify(userId)},"exp":"${nowS + 600}","exp":${nowS + 600}}`,
    ];
    return { category: 'duplicate keys', token: signRaw(HEADER, pick(payloads)), userId, nowMs };
  },

  'time edges around the tolerance': () => {
    const nowMs = someNow();
    const nowS = Math.floor(nowMs / 1000);
    const userId = pick(USERS);
    const claims: Record<string, unknown> = { user_id: userId };
    const delta = pick([-2, -1, -0.5, -0.001, 0, 0.001, 0.5, 1, 2]);
    const claim = pick(['exp', 'nbf', 'iat']);
    claims[claim] = claim === 'exp' ? nowS - TOLERANCE + delta : nowS + TOLERANCE + delta;
    if (random() < 0.5) claims.exp ??= nowS + 600;
    let payload = JSON.stringify(claims);
    if (random() < 0.1) {
      // Values JSON can spell that are not ordinary finite dates; handled below where the two differ by rule.
      const odd = pick(['1e400', '-1e400', '"1800000000"', 'null', 'true', '[]', '{}', '1e20', '-1', '0']);
      payload = payload.replace(new RegExp(`"${claim}":[^,}]+`), `"${claim}":${odd}`);
    }
    return { category: 'time edges around the tolerance', token: signRaw(HEADER, payload), userId, nowMs };
  },

  'missing, extra and odd claims': () => {
    const nowMs = someNow();
    const nowS = Math.floor(nowMs / 1000);
    const userId = pick(USERS);
    const payloads = [
      `{"exp":${nowS + 600}}`,
      `{"user_id":"","exp":${nowS + 600}}`,
      `{"user_id":42,"exp":${nowS + 600}}`,
      `{"user_id":null,"exp":${nowS + 600}}`,
      `{"user_id":[${JSON.stringify(userId)}]}`,
      `{"sub":${JSON.stringify(userId)},"exp":${nowS + 600}}`,
      `{"user_id":${JSON.stringify(userId)}}`,
      `{"user_id":${JSON.stringify(userId)},"aud":["a","b"],"iss":"x","azp":"y","scope":"all","roles":["admin"]}`,
      `{"user_id":${JSON.stringify(userId)},"__proto__":{"admin":true}}`,
      `{"user_id":${JSON.stringify(userId)},"deep":{"a":[1,{"b":null}]}}`,
      `[${JSON.stringify(userId)}]`,
      '"just a string"',
      'null',
      '42',
      '',
      `{"user_id":${JSON.stringify(userId)}`,
      `\uFEFF{"user_id":${JSON.stringify(userId)}}`,
      ` {"user_id":${JSON.stringify(userId)}} `,
    ];
    let payload: string | Buffer = pick(payloads);
    if (random() < 0.1) {
      // Bytes that are not UTF-8 inside a claim's string.
      const text = Buffer.from(`{"user_id":${JSON.stringify(userId)},"name":"xx"}`);
      text[text.length - 3] = pick([0xff, 0xc3, 0x80, 0xed]);
      payload = text;
    }
    return { category: 'missing, extra and odd claims', token: signRaw(HEADER, payload), userId, nowMs };
  },

  'user_id mismatch': () => {
    const nowMs = someNow();
    const userId = pick(USERS);
    const claimed = pick([
      pick(USERS),
      userId.toUpperCase(),
      `${userId} `,
      ` ${userId}`,
      userId.normalize('NFD'),
      `${userId}\u0000`,
      userId,
    ]);
    const token = signRaw(HEADER, JSON.stringify(validClaims(Math.floor(nowMs / 1000), claimed)));
    return { category: 'user_id mismatch', token, userId, nowMs };
  },

  'size around 8 KiB': () => {
    const c = validCase('size around 8 KiB');
    const nowS = Math.floor(c.nowMs / 1000);
    // The header and signature take 80 characters; the payload's base64url is 4/3 of its JSON.
    const target = 8192 - 80 + pick([-8, -4, -1, 0, 1, 4, 8, 1000]);
    const base = JSON.stringify({ user_id: c.userId, exp: nowS + 600, pad: '' });
    const padLength = Math.max(0, Math.floor((target * 3) / 4) - Buffer.byteLength(base));
    const payload = JSON.stringify({ user_id: c.userId, exp: nowS + 600, pad: 'p'.repeat(padLength) });
    return { ...c, token: signRaw(HEADER, payload) };
  },
};

/** Where verifyUserToken refuses, by one of its rules, a token that jose accepts. */
type Modeled = 'over 8 KiB' | 'crit header' | 'not the compact form' | 'MAC not canonical' | 'date claim not finite';

/**
 * jose's verdict, with the checks it leaves to the caller done on its own payload: true,
 * false, or the rule by which verifyUserToken refuses a token jose accepts.
 */
async function joseVerdict(c: Case): Promise<boolean | Modeled> {
  const options = { algorithms: ['HS256'], clockTolerance: TOLERANCE, currentDate: new Date(c.nowMs) };
  let payload: Record<string, unknown>;
  let header: Record<string, unknown>;
  try {
    ({ payload, protectedHeader: header } = await jwtVerify(c.token, key, options));
    // jose checks a future `iat` only when given maxTokenAge (which also makes `iat`
    // required); clock-tolerance checks it whenever present, so jose is asked for that check.
    if (Object.hasOwn(payload, 'iat')) await jwtVerify(c.token, key, { ...options, maxTokenAge: Number.MAX_SAFE_INTEGER });
  } catch {
    return false;
  }
  // user-id-must-match: jose knows no user_id; the same comparison on its payload.
  if (typeof payload.user_id !== 'string' || payload.user_id === '' || payload.user_id !== c.userId) return false;

  // Where the two differ by a rule of verifyUserToken, each on purpose:
  // 1. request-limits: a token over 8 KiB is refused before any work (jose has no cap).
  if (c.token.length > MAX_TOKEN_BYTES) return 'over 8 KiB';
  // 2. hs256-only: any `crit` header is refused — an extension the server would have to
  //    understand. jose understands `crit: ["b64"]` with `b64: true` (a no-op) and accepts it.
  if (header.crit !== undefined) return 'crit header';
  // 3. Only the compact form of RFC 7515: base64url without padding or whitespace, and the
  //    MAC in its canonical spelling (as jsonwebtoken). jose on Node 20 decodes with atob,
  //    which forgives '=' padding, whitespace and a MAC whose spare bits are set.
  const [, , signature] = c.token.split('.') as [string, string, string];
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(c.token)) return 'not the compact form';
  if (b64u(Buffer.from(signature, 'base64url')) !== signature) return 'MAC not canonical';
  // 4. A date claim that JSON spells past the double range (1e400 → ±Infinity) is refused:
  //    jose will not sign one ("must be a finite number") but accepts it when verifying.
  for (const claim of ['exp', 'nbf', 'iat']) {
    if (typeof payload[claim] === 'number' && !Number.isFinite(payload[claim])) return 'date claim not finite';
  }
  return true;
}

describe('verifyUserToken agrees with jose.jwtVerify', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it(`on ${Object.keys(generators).length * CASES_PER_CATEGORY} generated and mutated tokens (same secret, clock and rules)`, async () => {
    const counts: Record<string, { accepted: number; refused: number }> = {};
    const disagreements: string[] = [];
    const modeled: Record<string, number> = {};
    for (const [category, generate] of Object.entries(generators)) {
      counts[category] = { accepted: 0, refused: 0 };
      for (let i = 0; i < CASES_PER_CATEGORY; i++) {
        const c = generate();
        vi.setSystemTime(c.nowMs);
        const ours = (await verifyUserToken(c.token, SECRET, { userId: c.userId })).ok;
        const verdict = await joseVerdict(c);
        if (typeof verdict === 'string') modeled[verdict] = (modeled[verdict] ?? 0) + 1;
        const theirs = verdict === true;
        counts[category][ours ? 'accepted' : 'refused'] += 1;
        if (ours !== theirs && disagreements.length < 10) {
          disagreements.push(
            `${category}: verifyUserToken ${ours ? 'accepts' : 'refuses'}, jose ${theirs ? 'accepts' : 'refuses'}: ${c.token.slice(0, 300)} (user ${c.userId}, now ${c.nowMs})`,
          );
        }
      }
    }
    expect(disagreements).toEqual([]);
    // Every modelled difference occurs, so none of them is dead code hiding a disagreement.
    expect(Object.keys(modeled).sort()).toEqual([
      'MAC not canonical',
      'crit header',
      'date claim not finite',
      'not the compact form',
      'over 8 KiB',
    ]);
    // Not vacuous: valid tokens are accepted, and the mutations are mostly refused.
    expect(counts.valid!.accepted).toBe(CASES_PER_CATEGORY);
    expect(counts['signed with another secret']!.accepted).toBe(0);
    for (const category of Object.keys(generators).filter((name) => name !== 'valid'))
      expect(counts[category]!.refused, category).toBeGreaterThan(0);
    console.log(
      `differential: ${Object.keys(generators).length} categories × ${CASES_PER_CATEGORY}`,
      counts,
      'refused by a rule jose lacks:',
      modeled,
    );
  });
});
