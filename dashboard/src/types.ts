/**
 * The page's view of the protocol: types only, from protocol/messages.ts (erased by esbuild,
 * so nothing of the coordinator — zod included — reaches the bundle). The two values the page
 * needs are repeated here with the coordinator's literal types, so a protocol bump that the page
 * does not follow fails `tsc -p dashboard/tsconfig.json`.
 */
import type * as protocol from '../../protocol/messages.js';

export type { CoordinatorMessage, MetricsMessage, ParamsMessage, PeerMessage, RunStateMessage, RunSummary, TrialMetricNames, TrialStatus, WorkerSummary } from '../../protocol/messages.js';

/** One named tensor as it arrives over the socket (core/tensors.ts TensorMap). */
export type TensorMap = protocol.ParamsMessage['params'];
export type MetricPoint = protocol.MetricsMessage['points'][number];
/** The hidden activation of a published policy (core/activation.ts HiddenActivation, reached through the params message). */
export type HiddenActivation = NonNullable<protocol.ParamsMessage['activation']>;

export const PROTOCOL_VERSION: typeof protocol.PROTOCOL_VERSION = 4;
export const CLOSE: typeof protocol.CLOSE = { unauthorized: 4401, badHello: 4400, helloTimeout: 4408, runEnded: 4000, codeRefused: 4403, tryAgainLater: 1013, tooLarge: 1009, quarantined: 4409 };
