// The list of designs the CLI knows. Node designs run in bench/worker.ts; python designs in the python worker.
import type { DesignFactory } from './design.ts';

export interface DesignInfo {
  id: string;
  title: string;
  runtime: 'node' | 'python';
  needsRedis: boolean;
  /** node designs: loads the factory inside the worker */
  load?: () => Promise<DesignFactory>;
  /** python designs: build variant passed to the python worker */
  pythonVariant?: 'constructed' | 'authenticated';
}

export const DESIGNS: DesignInfo[] = [
  { id: 'full-client', title: 'Full Keystone v3 client per trust', runtime: 'node', needsRedis: false,
    load: async () => (await import('./full-client.ts')).createFullClientDesign },
  { id: 'token-record', title: 'Minimal token record per trust', runtime: 'node', needsRedis: false,
    load: async () => (await import('./token-record.ts')).createTokenRecordDesign },
  { id: 'redis-handle', title: 'Handle in process, token record in Redis', runtime: 'node', needsRedis: true,
    load: async () => (await import('./redis-handle.ts')).createRedisHandleDesign },
  { id: 'redis-handle-encrypted', title: 'Redis handle, AES-256-GCM sealed values', runtime: 'node', needsRedis: true,
    load: async () => (await import('./redis-handle-encrypted.ts')).createRedisHandleEncryptedDesign },
  // The real python-keystoneclient, run by src/designs/python/ in a python child: the post's reference object.
  { id: 'python-keystoneclient', title: 'python-keystoneclient v3 Client, as constructed', runtime: 'python',
    needsRedis: false, pythonVariant: 'constructed' },
  { id: 'python-keystoneclient-authenticated', title: 'python-keystoneclient v3 Client, authenticated (token + catalog)',
    runtime: 'python', needsRedis: false, pythonVariant: 'authenticated' },
];

export const DESIGN_IDS = () => DESIGNS.map((d) => d.id);
export const designById = (id: string) => DESIGNS.find((d) => d.id === id);
