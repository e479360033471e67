// AES-256-GCM sealing of the values a Redis design stores, as keystonemiddleware's memcache_security_strategy
// = ENCRYPT does: whoever can read Redis sees neither tokens nor endpoints, and a tampered value fails to open.
// The Redis key is bound in as associated data, so a value cannot be moved to another trust's key.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface Sealer {
  seal(plain: string, aad: string): string;
  open(sealed: string, aad: string): string;
}

export function createSealer(key: Buffer = randomBytes(32)): Sealer {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  return {
    seal(plain, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(aad));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed, aad) {
      const raw = Buffer.from(sealed, 'base64');
      if (raw.length < 28) throw new Error('sealed value too short');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
