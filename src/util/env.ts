// The environment handed to processes that run code the harness does not control (sample workers, design modules
// being described): everything but variables named like credentials; those reach workers over their IPC channel.
export function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/PASSWORD|SECRET|TOKEN|AUTH/i.test(k)));
}
