// The one endpoint a notifier keeps from a token response: the alarming service's public URL.
import type { TokenBody } from '../keystone/auth.ts';

export const RECORD_SERVICE_TYPE = 'alarming';

/** From the body ctx.authenticate already parsed (`parsed`): no second parse per token. */
export function endpointOf(parsed: TokenBody, type = RECORD_SERVICE_TYPE, iface = 'public'): string | undefined {
  const url = parsed.token.catalog?.find((s) => s.type === type)?.endpoints.find((e) => e.interface === iface)?.url;
  // Copy so the record does not keep a slice of the larger parsed string alive.
  return url === undefined ? undefined : (' ' + url).slice(1);
}
