import { readConfig } from '../../src/config/config.js';
import { startGateway } from '../../src/gateway.js';

/**
 * The gateway under load, in a process of its own so that its peak memory
 * and CPU are its own. Configured only through the environment, as in
 * production; tells the parent its address over IPC.
 */
const gw = await startGateway(readConfig(process.env));
process.send?.({ url: gw.url });
process.on('message', (msg) => {
  if (msg === 'stop') void gw.close().then(() => process.exit(0));
});
