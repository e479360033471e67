// The entry the simulation forks (src/simulate/run.ts, through tsx): one notifier worker.
import { serveSimulation } from './worker.ts';

serveSimulation();
