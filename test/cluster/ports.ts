// Ports for the cluster's roles. A role binds its port when it starts and again when it is restarted after a kill,
// long after the port was chosen. A port from the kernel's ephemeral range (where listen(0) picks) may by then be the
// local end of one of the host's many outgoing connections (every role's to Temporal and the store), and the role
// fails with EADDRINUSE: the load benchmark's storm cluster met it once. These ports come from below that range, free
// when chosen, and none twice in one process; a thousand below it, as the Temporal dev server also binds its UI a
// thousand above its port.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

const LOWEST = 10_000;
/** Linux's default floor of the ephemeral range, where the host does not say. */
const DEFAULT_EPHEMERAL_FLOOR = 32_768;

/** The lowest port the kernel gives outgoing connections (`ip_local_port_range`). */
export function ephemeralFloor(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > LOWEST + 1000) return low;
  } catch {
    // Not Linux, or no procfs: the default range.
  }
  return DEFAULT_EPHEMERAL_FLOOR;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/** A loopback port below the ephemeral range, free now, and not handed out before by this process. */
export async function rolePort(): Promise<number> {
  const high = ephemeralFloor() - 1000;
  for (let tries = 0; tries < 500; tries++) {
    const port = LOWEST + crypto.randomInt(high - LOWEST);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${LOWEST} and ${high}`);
}
