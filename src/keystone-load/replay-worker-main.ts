// The entry the replay forks (src/keystone-load/replay.ts, through tsx): one real-time notifier worker.
import { serveReplay } from './replay-worker.ts';

serveReplay();
