/**
 * The contract's values that the page needs: the protocol version, the close codes and the HTTP
 * paths the coordinator serves. Import-free (test/architecture.test.ts checks it), so the page (dashboard/src/socket.ts) imports
 * them from here without bundling anything of the coordinator's, zod included.
 */

/**
 * 2: mutual challenge–response instead of the token in the hello; `refused`. 3: trial tasks are RL
 * or generative (`family`). 4: a rollout task's ε schedule has DqnConfig's field names. 5: a
 * gradient task names the parameters its phase trains (`phaseParams`).
 */
export const PROTOCOL_VERSION = 5;

/** Close codes (4000–4999 are the application's). */
export const CLOSE = {
  /** Bad or missing token. */
  unauthorized: 4401,
  /** Protocol version mismatch or a malformed hello. */
  badHello: 4400,
  /** No hello within the deadline. */
  helloTimeout: 4408,
  /** The run is over. */
  runEnded: 4000,
  /** A worker refused this run's shipped code (it runs without --allow-code). */
  codeRefused: 4403,
  /** Too many connections are still unauthenticated: try again later (the standard code). */
  tryAgainLater: 1013,
  /** A frame larger than allowed (before authentication: 64 KiB; the standard code). */
  tooLarge: 1009,
  /** The worker sent repeated bad results, task errors or missed deadlines (scheduler.ts). */
  quarantined: 4409,
  /** An authenticated peer sent more invalid frames than the server allows (maxBadFrames; the standard policy-violation code). */
  tooManyBadFrames: 1008,
  /** A normal close (the standard code): for a remote worker that finished its handshake, the run is over, as runEnded. */
  normal: 1000,
} as const;

/** The paths the coordinator serves that others name: a remote worker (workers/remote.ts) and the page ask for them. */
export const PATHS = {
  /** The WebSocket of remote workers and dashboards (coordinator/server.ts). */
  socket: '/ws',
  /** A sweep's trials and the values each one sets, the page's sweep table labels (coordinator/dashboardHttp.ts). */
  trials: '/api/trials',
} as const;
