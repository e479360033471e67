// The no-cache baseline on Aodh's own code: the installed aodh.notifier.trust.TrustRestAlarmNotifier posts K
// notifications (to a receiver of its own on 127.0.0.1) while Keystone counts the tokens it issues. The "no
// cache" row then rests on what Aodh does, not on our reading of it.
import { fileURLToPath } from 'node:url';
import type { KeystoneEnv } from '../keystone/env.ts';
import { supervise } from '../measure/child.ts';
import type { NotifierBaseline } from '../results/schema.ts';
import { redact } from '../util/redact.ts';
import { PYTHON, pythonEnv } from '../worker/python/paths.ts';
import { errorLine } from '../util/text.ts';

const SCRIPT = fileURLToPath(new URL('../worker/python/notifier_baseline.py', import.meta.url));

interface Reply {
  type: 'result' | 'error';
  message?: string;
  notifications: number;
  received: number;
  with_token: number;
  rss_before: number;
  rss_after: number;
  wall_ms: number;
  per_notification_ms: number;
  auth_requests?: number;
}

export async function measureNotifier(keystone: KeystoneEnv, notifications = 50, timeoutMs = 120_000): Promise<NotifierBaseline> {
  const trustIds = await keystone.trustIds(notifications + 1);
  const child = supervise<unknown, Reply>({ kind: 'spawn-lines', command: PYTHON, args: ['-u', SCRIPT], env: pythonEnv() });
  const timer = setTimeout(() => child.kill(), timeoutMs);
  const before = keystone.tokensIssued();
  try {
    const k = keystone.target;
    child.send({ auth_url: k.authUrl, username: k.username, password: k.password, user_domain_name: k.userDomainName, trust_ids: trustIds.slice(1, notifications + 1), notifications });
    const r = await child.next();
    if (r.type !== 'result') throw new Error(`Aodh notifier: ${r.message ?? 'failed'}`);
    await child.exited;
    const after = keystone.tokensIssued();
    const tokens = before !== undefined && after !== undefined ? after - before : (r.auth_requests ?? NaN);
    return {
      notifications: r.notifications,
      received: r.received,
      withToken: r.with_token,
      tokensPerNotification: tokens / r.notifications,
      msPerNotification: r.per_notification_ms,
      rssGrowthPerNotification: (r.rss_after - r.rss_before) / r.notifications,
      tokensCountedBy: before !== undefined ? 'keystone' : 'client',
    };
  } catch (err) {
    child.kill();
    await child.exited;
    throw new Error(redact(errorLine(err)));
  } finally {
    clearTimeout(timer);
  }
}
