// Design: the process keeps a handle per trust (trust id, cache key); the token record lives in memcached, shared
// by every notifier worker that uses the same servers and secret, as deployments share memcached between
// keystonemiddleware instances. Values are protected the way keystonemiddleware's
// `memcache_security_strategy = ENCRYPT` protects cached tokens (auth_token/_memcache_crypt.py):
//
//   digest = HMAC-SHA384(secret, trust id + "ENCRYPT")          derive_keys(): 48 bytes split into thirds
//   cache key = prefix + base64(digest[0:16])                   get_cache_key(): the key never reveals the trust
//   MAC key = digest[16:32], encryption key = digest[32:48]
//   value = base64(HMAC-SHA384(MAC key, D)) + D,  D = base64(IV + AES-128-CBC(record, PKCS#7))   protect_data()
//
// A value whose MAC does not verify (tampered, or copied from another trust's key: every trust has its own MAC
// key) is never used: it is a miss, the trust authenticates again and the value is overwritten. The record's TTL
// in memcached ends 120 s before the token expires (keystoneauth's refresh point), so a hit is a token
// keystoneauth would still use; the expiry inside the record is checked too (accelerated clocks, clock skew).
// Written against the design contract only.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { REFRESH_MARGIN_MS } from '../keystone/auth.ts';
import { connectMemcached } from '../stores/memcached/client.ts';
import { defineDesign, type DesignContext } from './contract.ts';
import { endpointOf } from './endpoint.ts';

const STRATEGY = 'ENCRYPT';
/** length of base64(HMAC-SHA384): 48 bytes → 64 characters */
const MAC_B64_LENGTH = 64;

export interface MemcachedHandle {
  trustId: string;
  key: string;
}

interface StoredRecord {
  token: string;
  /** epoch ms */
  expires_at: number;
  endpoint?: string;
}

export interface DerivedKeys {
  cacheKey: Buffer;
  mac: Buffer;
  encryption: Buffer;
}

/** keystonemiddleware's derive_keys(token, secret, strategy), with the trust id in the token's place. */
export function deriveKeys(trustId: string, secret: Buffer): DerivedKeys {
  const digest = createHmac('sha384', secret).update(trustId + STRATEGY, 'utf8').digest();
  return { cacheKey: digest.subarray(0, 16), mac: digest.subarray(16, 32), encryption: digest.subarray(32, 48) };
}

/** protect_data() with the ENCRYPT strategy: MAC (base64) + base64(IV + AES-128-CBC(data)). */
export function protect(keys: DerivedKeys, data: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', keys.encryption, iv); // PKCS#7 padding, as _memcache_crypt pads
  const encoded = Buffer.concat([iv, cipher.update(data, 'utf8'), cipher.final()]).toString('base64');
  return createHmac('sha384', keys.mac).update(encoded).digest('base64') + encoded;
}

/** unprotect_data(): the data, or undefined when the MAC does not verify or the value does not decrypt. */
export function unprotect(keys: DerivedKeys, value: string): string | undefined {
  if (value.length <= MAC_B64_LENGTH) return undefined;
  const provided = Buffer.from(value.slice(0, MAC_B64_LENGTH), 'latin1');
  const encoded = value.slice(MAC_B64_LENGTH);
  const calculated = Buffer.from(createHmac('sha384', keys.mac).update(encoded).digest('base64'), 'latin1');
  if (provided.length !== calculated.length || !timingSafeEqual(provided, calculated)) return undefined;
  const raw = Buffer.from(encoded, 'base64');
  if (raw.length < 32 || raw.length % 16 !== 0) return undefined;
  try {
    const decipher = createDecipheriv('aes-128-cbc', keys.encryption, raw.subarray(0, 16));
    return Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined; // bad padding: corrupted
  }
}

export default defineDesign<MemcachedHandle>({
  id: 'memcached-handle',
  title: 'handle in process, token record in memcached (keystonemiddleware ENCRYPT protection)',
  topology: 'shared',
  needs: ['memcached'],
  // the handle plus its key string in the process; the record itself is in memcached
  planningBytesPerEntry: 512,
  async open(ctx: DesignContext) {
    const where = ctx.stores.memcached;
    if (!where) throw new Error('memcached-handle needs a memcached (ctx.stores.memcached)');
    const secret = ctx.secret !== undefined ? Buffer.from(ctx.secret, 'utf8') : randomBytes(32);
    const prefix = where.keyPrefix;
    // failover only where the harness asks for it (the simulation's pool): elsewhere a dead server is an error
    const mc = await connectMemcached(where, { timeoutMs: ctx.timeoutMs, failover: where.failover === true });
    // join(), not +: one flat string whatever happens to it later (a cons string is flattened in place, or not,
    // depending on when the client first reads it and on collections: a per-entry size that varied from run to run)
    const keyOf = (trustId: string) => [prefix, deriveKeys(trustId, secret).cacheKey.toString('base64')].join('');

    /** Authenticates, stores the protected record with a TTL ending at the refresh point, returns the token. */
    const store = async (handle: MemcachedHandle): Promise<string> => {
      const auth = await ctx.authenticate(handle.trustId, { catalog: true });
      const rec: StoredRecord = { token: auth.tokenId, expires_at: auth.expiresAt, endpoint: endpointOf(auth.parsed) };
      const ttlMs = auth.expiresAt - ctx.now() - REFRESH_MARGIN_MS;
      if (ttlMs > 0) {
        // memcached keeps real time in whole seconds, and its clock ticks once a second (an item can go up to 1 s
        // early). On the simulation's accelerated clock, where a token lives ~2 s, the scaled TTL gets that second
        // back and read() enforces the refresh point on the simulated clock; in real time the TTL ends at it.
        const realTtlS = ttlMs / 1000 / (ctx.clock?.speedup ?? 1);
        await mc.set(handle.key, protect(deriveKeys(handle.trustId, secret), JSON.stringify(rec)), Math.max(1, ctx.clock ? Math.ceil(realTtlS) + 1 : Math.floor(realTtlS)));
      }
      return auth.tokenId;
    };

    /** The stored record, or undefined when it cannot be trusted (MAC, decryption, shape) or is past its refresh point. */
    const read = (handle: MemcachedHandle, value: string): StoredRecord | undefined => {
      const plain = unprotect(deriveKeys(handle.trustId, secret), value);
      if (plain === undefined) return undefined;
      try {
        const rec = JSON.parse(plain) as StoredRecord;
        if (typeof rec?.token !== 'string' || typeof rec.expires_at !== 'number') return undefined;
        return rec.expires_at - ctx.now() > REFRESH_MARGIN_MS ? rec : undefined;
      } catch {
        return undefined;
      }
    };

    return {
      async create(trustId) {
        const handle = { trustId, key: keyOf(trustId) };
        await store(handle);
        return handle;
      },
      // no authentication: the first token() finds another worker's record, or stores one
      attach: async (trustId) => ({ trustId, key: keyOf(trustId) }),
      async token(handle) {
        const value = await mc.get(handle.key);
        const rec = value === null ? undefined : read(handle, value);
        return rec ? rec.token : store(handle);
      },
      storeServer: (trustId) => mc.serverFor(keyOf(trustId)),
      async close() {
        mc.close();
      },
    };
  },
});
