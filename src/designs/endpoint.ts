// The one endpoint a notifier keeps from a token response: the alarming service's public URL.
import type { TokenBody } from '../keystone/auth.ts';

export const RECORD_SERVICE_TYPE = 'alarming';

export function endpointOf(body: string, type = RECORD_SERVICE_TYPE, iface = 'public'): string | undefined {
  const parsed = JSON.parse(body) as TokenBody;
  const url = parsed.token.catalog?.find((s) => s.type === type)?.endpoints.find((e) => e.interface === iface)?.url;
  // Copy so the record does not keep a slice of the larger parsed string alive.
  return url === undefined ? undefined : (' ' + url).slice(1);
}
