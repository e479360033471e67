// Starts a private redis-server once before a run: it fails early with the install command when redis-server is
// missing, and gives the version the results record.
import { startRedisServer } from './server.ts';

export async function probeRedisVersion(): Promise<string> {
  const server = await startRedisServer();
  try {
    return server.version;
  } finally {
    await server.stop();
  }
}
