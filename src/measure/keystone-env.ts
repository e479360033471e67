// Which Keystone a run talks to. By default the embedded stand-in, started here and stopped at the end; with
// --keystone-url a real one (src/keystone/real.ts), with credentials from the OS_* environment only.
import { startStandIn, type StandIn } from '../keystone/standin.ts';
import type { AuthTarget } from '../keystone/auth.ts';
import { registerSecret } from '../util/redact.ts';

export interface KeystoneEnv {
  kind: 'stand-in' | 'real';
  url: string;
  version: string;
  catalogServices?: number;
  target: AuthTarget;
  /** at least `count` trust ids usable by target's user */
  trustIds(count: number): Promise<string[]>;
  /** tokens Keystone issued so far, when it can be known (the stand-in counts them) */
  tokensIssued(): number | undefined;
  standIn?: StandIn;
  close(): Promise<void>;
}

export async function startStandInEnv(opts: { services: number; trusts: number }): Promise<KeystoneEnv> {
  const ks = await startStandIn({ services: opts.services, trusts: opts.trusts });
  registerSecret(ks.trustee.password);
  registerSecret(ks.trustor.password);
  return {
    kind: 'stand-in',
    url: ks.authUrl,
    version: 'v3.14 (stand-in)',
    catalogServices: opts.services,
    target: { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: ks.trustee.userDomainName },
    async trustIds(count) {
      if (ks.trustIds.length < count) ks.trustIds.push(...ks.createTrusts(count - ks.trustIds.length));
      return ks.trustIds.slice(0, count);
    },
    tokensIssued: () => ks.tokensIssued(),
    standIn: ks,
    close: () => ks.close(),
  };
}
