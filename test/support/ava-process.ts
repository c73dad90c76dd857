// Loaded by ava into every test process before its tests (package.json, ava.require). When a test process outlives
// ava's timeout (a test left a socket or a worker open), ava ends it with SIGTERM. The Temporal SDK's Runtime, unless
// installed without shutdown signals, takes SIGTERM as a request to shut its workers down gracefully and keeps the
// process: whatever else is open then keeps it alive, ava waits for it forever, and so does CI. A test process has
// nothing to shut down gracefully: SIGTERM ends it.
process.once('SIGTERM', () => {
  process.kill(process.pid, 'SIGKILL');
});
