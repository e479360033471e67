// Last line of defence for secrets: any text that leaves the harness (error reasons, logs, stderr of a child)
// passes through redact(). Token ids are recognised by shape (Fernet's "gAAAAA" prefix, 32-hex UUID tokens after
// a token header) and known secrets (passwords, the sealing key) are registered when they enter the process. A
// run of 32 or more hex digits (a trust id, a UUID token) is cut to its first 8, as the python workers do.
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

const FERNET = /gAAAAA[A-Za-z0-9_\-=]{20,}/g;
// the value ends at whitespace, a quote, a comma, a brace or a semicolon (JSON, headers, log lines)
const HEADER_TOKEN = /(x-(?:auth|subject)-token["']?\s*[:=]\s*["']?)[^\s"',};]+/gi;
const LONG_HEX = /\b[0-9a-f]{32,}\b/g;

export function redact(text: string): string {
  let out = text.replace(FERNET, '[token]').replace(HEADER_TOKEN, '$1[token]');
  for (const s of secrets) out = out.split(s).join('[secret]');
  return out.replace(LONG_HEX, (hex) => `${hex.slice(0, 8)}…`);
}
