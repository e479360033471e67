// The in-process token path: the stand-in's own POST /v3/auth/tokens (src/keystone/token-issue.ts) run inside
// the worker, behind the same Post seam as an HTTP transport. The client builds the same request and parses the
// same response bytes; only the socket round trip and the stand-in's HTTP server are left out (~0.35 ms of a
// worker's CPU per token, most of it node's HTTP client, which a worker runs in V8's interpreter).
// What it cannot know: which trusts the stand-in deleted. Every 32-hex trust id is usable, as in a bench run.
import { appendFileSync } from 'node:fs';
import { PostError, type Post } from './auth.ts';
import { tokenDocs, type StandInIdentity } from './token-doc.ts';
import { issueToken, type Issuer } from './token-issue.ts';

export interface InProcessOptions {
  /** the stand-in's fixed document fields */
  identity: StandInIdentity;
  /** TEST-ONLY: append every token id issued here to this file (the secrets tests grep outputs for them) */
  recordTokensTo?: string;
}

const TRUST_ID = /^[0-9a-f]{32}$/;

/**
 * What a socket would hand over: one flat string decoded from bytes. Kept as they are, the template's pieces and
 * the token id's slice would be a cons or sliced string that holds its parts, bytes an HTTP client never keeps.
 * The bytes go through one buffer kept for the process, not a new one per token.
 */
let wire = Buffer.allocUnsafe(64 * 1024);
function fromWire(...pieces: string[]): string {
  // 3 bytes per UTF-16 unit at most
  const most = pieces.reduce((n, p) => n + p.length * 3, 0);
  if (most > wire.length) wire = Buffer.allocUnsafe(most);
  let at = 0;
  for (const p of pieces) at += wire.write(p, at);
  return wire.toString('utf8', 0, at);
}

/** `password`: the trustee's, which the worker holds to authenticate anyway (the issuer checks requests against it). */
export function inProcessPost(opts: InProcessOptions, password: string): Post {
  const { identity } = opts;
  const trustee = { id: identity.trustee.id, name: identity.trustee.name, password };
  const issuer: Issuer = {
    identity, users: new Map([[trustee.name, trustee]]), now: Date.now, render: tokenDocs(identity),
    trusteeOf: (id) => (TRUST_ID.test(id) ? trustee.id : undefined),
  };
  return async (url, _headers, body) => {
    // (string tests, not new URL(): a URL object per token cost a worker ~4 µs)
    const [path, query = ''] = url.split('?');
    if (!path.endsWith('/auth/tokens')) throw new PostError('network', new Error('the in-process stand-in serves only POST /v3/auth/tokens'));
    const r = issueToken(issuer, body, !query.split('&').includes('nocatalog'));
    if (r.status !== 201) return { status: r.status, headers: { 'content-type': 'application/json' }, text: fromWire(r.text) };
    if (opts.recordTokensTo) appendFileSync(opts.recordTokensTo, `${r.tokenId}\n`, { mode: 0o600 });
    return { status: 201, headers: { 'content-type': 'application/json', 'x-subject-token': fromWire(r.tokenId) }, text: fromWire(...r.body) };
  };
}
