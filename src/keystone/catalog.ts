// A service catalog shaped like a real cloud's: by default 13 services × public/internal/admin = 39 endpoints,
// which is what makes a Keystone token response ≈ 8 KB and therefore what a cached full client carries around.
import { randomChunk } from './token-id.ts';

export interface CatalogEndpoint {
  id: string;
  interface: 'public' | 'internal' | 'admin';
  region_id: string;
  url: string;
  region: string;
}
export interface CatalogService {
  endpoints: CatalogEndpoint[];
  id: string;
  type: string;
  name: string;
}

/** [type, name, port, path] of the services a typical deployment registers, in the order Keystone lists them. */
export const DEFAULT_SERVICES: ReadonlyArray<readonly [string, string, number, string]> = [
  ['identity', 'keystone', 5000, '/v3'],
  ['compute', 'nova', 8774, '/v2.1'],
  ['network', 'neutron', 9696, ''],
  ['image', 'glance', 9292, ''],
  ['volumev3', 'cinderv3', 8776, '/v3/%(project_id)s'],
  ['object-store', 'swift', 8080, '/v1/AUTH_%(project_id)s'],
  ['orchestration', 'heat', 8004, '/v1/%(project_id)s'],
  ['placement', 'placement', 8778, ''],
  ['metric', 'gnocchi', 8041, ''],
  ['alarming', 'aodh', 8042, ''],
  ['event', 'panko', 8977, ''],
  ['key-manager', 'barbican', 9311, ''],
  ['dns', 'designate', 9001, ''],
];

export const hexId = (): string => randomChunk(16).toString('hex');

/**
 * Builds a catalog of `services` services (the defaults first, then numbered extras) with fresh ids, every
 * interface on `host` as a single-node deployment registers them.
 */
export function buildCatalog(services = DEFAULT_SERVICES.length, host = '127.0.0.1', projectId = hexId()): CatalogService[] {
  const out: CatalogService[] = [];
  for (let i = 0; i < services; i++) {
    const [type, name, port, path] = DEFAULT_SERVICES[i] ?? [`service-${i}`, `service${i}`, 10000 + i, ''];
    const iface = (which: CatalogEndpoint['interface']): CatalogEndpoint => ({
      id: hexId(),
      interface: which,
      region_id: 'RegionOne',
      // Keystone substitutes %(project_id)s with the token's project when it builds the catalog.
      url: `http://${host}:${port}${path.replace('%(project_id)s', projectId)}`,
      region: 'RegionOne',
    });
    out.push({ endpoints: [iface('public'), iface('internal'), iface('admin')], id: hexId(), type, name });
  }
  return out;
}
